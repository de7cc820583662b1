#!/usr/bin/env python3
"""bench/report.py — turns bench/run's raw records (one JSON object per tool run) into the printed
table (medians per tool and key type, ratios, targets) and the results JSON. Called by bench/run."""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys

PEERS = ("openssl", "gnutls-cli", "cfssl", "nmap")
KEY_NAMES = {"rsa": "RSA-2048", "ecdsa": "ECDSA P-256"}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def summarise(runs):
    """Median figures of one tool's runs on one list."""
    n = runs[0]["n"]
    rates = [r["n"] / r["wall_s"] if r["wall_s"] > 0 else 0.0 for r in runs]
    cpu = [(r["user_s"] + r["sys_s"]) / r["n"] * 1000 for r in runs]
    return {
        "n": n,
        "runs": len(runs),
        "origins_per_s": round(statistics.median(rates), 1),
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
        "cpu_s_per_1000": round(statistics.median(cpu), 3),
        "peak_rss_mib": round(statistics.median(r["maxrss_kib"] for r in runs) / 1024, 1),
        "server_cpu_s_per_1000": round(statistics.median(r["server_cpu_s"] / r["n"] * 1000 for r in runs), 3),
        "ok_min": min(r["ok"] for r in runs),
        "all_ok": all(r["ok"] == r["n"] and r["exit"] == 0 for r in runs),
        "raw": runs,
    }


def ratio(a, b):
    return round(a / b, 3) if b else None


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.2f}x"


def check(label, value, op, bound):
    if value is None:
        return {"target": label, "value": None, "met": None}
    met = value >= bound if op == ">=" else value <= bound if op == "<=" else value < bound
    return {"target": label, "value": value, "bound": bound, "met": met}


def tool_label(tool, variant):
    return f"{tool} ({variant})" if variant else tool


def speed(groups, args):
    out = {"by_key": {}, "targets": []}
    for key in sorted({k for k, _, _ in groups}, key=lambda k: list(KEY_NAMES).index(k)):
        rows = {(t, v): s for (k, t, v), s in groups.items() if k == key}
        print(f"\n{KEY_NAMES[key]}: N={args.n}, K={args.k}, median of {args.runs} run(s)")
        print(f"  {'tool':<26}{'origins/s':>10}{'CPU s/1000':>12}{'peak RSS MiB':>14}"
              f"{'nginx CPU s/1000':>18}{'ok':>14}")
        order = ["ceiling", "originscan", *PEERS]
        for (tool, variant), s in sorted(rows.items(), key=lambda r: order.index(r[0][0])):
            ok = f"{s['ok_min']}/{s['n']}" + ("" if s["all_ok"] else " (!)")
            print(f"  {tool_label(tool, variant):<26}{s['origins_per_s']:>10.1f}{s['cpu_s_per_1000']:>12.3f}"
                  f"{s['peak_rss_mib']:>14.1f}{s['server_cpu_s_per_1000']:>18.3f}{ok:>14}")
        by_tool = {t: s for (t, _), s in rows.items()}
        ceil, osc = by_tool.get("ceiling"), by_tool.get("originscan")
        peers = {t: s for t, s in by_tool.items() if t in PEERS}
        best = max(peers, key=lambda t: peers[t]["origins_per_s"]) if peers else None
        r = {"tools": {tool_label(t, v): {k2: v2 for k2, v2 in s.items() if k2 != "raw"} for (t, v), s in rows.items()},
             "raw": [run for s in rows.values() for run in s["raw"]]}
        if osc and ceil:
            r["originscan_over_ceiling_rate"] = ratio(osc["origins_per_s"], ceil["origins_per_s"])
            r["originscan_over_ceiling_cpu"] = ratio(osc["cpu_s_per_1000"], ceil["cpu_s_per_1000"])
            print(f"  originscan / ceiling: {fmt_ratio(r['originscan_over_ceiling_rate'])} origins/s, "
                  f"{fmt_ratio(r['originscan_over_ceiling_cpu'])} CPU per origin")
            out["targets"].append(check(f"{key}: originscan >= 0.9 x ceiling origins/s",
                                        r["originscan_over_ceiling_rate"], ">=", 0.9))
            out["targets"].append(check(f"{key}: originscan CPU/origin <= 1.15 x ceiling",
                                        r["originscan_over_ceiling_cpu"], "<=", 1.15))
        if osc and best:
            r["best_peer"] = best
            r["originscan_over_best_peer_rate"] = ratio(osc["origins_per_s"], peers[best]["origins_per_s"])
            print(f"  originscan / best peer ({best}): {fmt_ratio(r['originscan_over_best_peer_rate'])} origins/s")
            for peer, bound in (("cfssl", 1.6), ("gnutls-cli", 2.5)):
                if peer in peers:
                    out["targets"].append(check(f"{key}: originscan >= {bound} x {peer}",
                                                ratio(osc["origins_per_s"], peers[peer]["origins_per_s"]), ">=", bound))
        if ceil and best:
            print(f"  best peer ({best}) / ceiling: {fmt_ratio(ratio(peers[best]['origins_per_s'], ceil['origins_per_s']))} origins/s")
        out["by_key"][key] = r
    if args.n != 10000 or args.k != 256:
        print(f"\n(the targets are set for N=10000, K=256; this run used N={args.n}, K={args.k})")
    return out


def memory(groups, args):
    out = {"tools": {}, "targets": []}
    by_variant = {v: s for (_, _, v), s in groups.items()}
    print(f"\nmemory: originscan, K={args.k}, median of {args.runs} run(s)")
    for variant, s in by_variant.items():
        ok = f"{s['ok_min']}/{s['n']}" + ("" if s["all_ok"] else " (!)")
        print(f"  {variant:<16} peak RSS {s['peak_rss_mib']:8.1f} MiB  {s['origins_per_s']:8.1f} origins/s  ok {ok}")
        out["tools"][variant] = {k: v for k, v in s.items() if k != "raw"}
        out.setdefault("raw", []).extend(s["raw"])
    small, big = by_variant.get(f"ndjson {args.small}"), by_variant.get(f"ndjson {args.big}")
    if small and big:
        r = ratio(big["peak_rss_mib"], small["peak_rss_mib"])
        print(f"  ndjson peak RSS {args.big} / {args.small}: {fmt_ratio(r)}")
        out["targets"].append(check(f"ndjson peak RSS at {args.big} <= 1.2 x at {args.small}", r, "<=", 1.2))
    else:
        print("  (no --ndjson in this originscan: the streaming comparison was skipped)")
    js = by_variant.get(f"json {args.big}")
    if js:
        out["targets"].append(check(f"JSON report of {args.big} origins: peak RSS < 300 MiB",
                                    js["peak_rss_mib"], "<", 300))
    return out


def blackhole(groups, args):
    out = {"tools": {}, "targets": []}
    holes = args.n // 10
    bound = math.ceil(holes / args.k) * args.timeout
    print(f"\nblackholes: N={args.n} ({holes} silent), K={args.k}, timeout {args.timeout} s, "
          f"median of {args.runs} run(s); allowed extra wall time ceil({holes}/{args.k}) x {args.timeout} = {bound} s")
    for tool in ("ceiling", "originscan"):
        clean = next((s for (_, t, v), s in groups.items() if t == tool and v == "clean"), None)
        dirty = next((s for (_, t, v), s in groups.items() if t == tool and v == "holes"), None)
        if not (clean and dirty):
            continue
        extra = round(dirty["wall_s"] - clean["wall_s"], 2)
        print(f"  {tool:<12} clean {clean['wall_s']:8.2f} s   with blackholes {dirty['wall_s']:8.2f} s   "
              f"extra {extra:7.2f} s   ok {dirty['ok_min']}/{dirty['n']} (expected {dirty['n'] - holes})")
        out["tools"][tool] = {"clean": {k: v for k, v in clean.items() if k != "raw"},
                              "holes": {k: v for k, v in dirty.items() if k != "raw"}, "extra_wall_s": extra}
        out.setdefault("raw", []).extend(clean["raw"] + dirty["raw"])
        if tool == "originscan":
            out["targets"].append(check(f"10% blackholes add <= {bound} s", extra, "<=", bound))
    return out


def main():
    p = argparse.ArgumentParser()
    for name in ("records", "out", "mode", "started", "skipped", "ceiling_priority"):
        p.add_argument("--" + name.replace("_", "-"), default="")
    for name in ("n", "k", "runs", "timeout", "peer_p", "netns", "ndjson", "small", "big", "nproc"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=0)
    args = p.parse_args()

    groups = {}
    for r in load(args.records):
        groups.setdefault((r["key"], r["tool"], r["variant"]), []).append(r)
    groups = {g: summarise(runs) for g, runs in groups.items()}
    if not groups:
        print("bench: nothing was measured", file=sys.stderr)
        return 3

    body = {"speed": speed, "memory": memory, "blackhole": blackhole}[args.mode](groups, args)
    if body["targets"]:
        print("\ntargets:")
        for t in body["targets"]:
            state = "n/a " if t["met"] is None else "met " if t["met"] else "MISS"
            print(f"  [{state}] {t['target']}: {t['value']}")
    if args.skipped:
        print(f"\nskipped (not installed or not possible here): {args.skipped}")

    gnutls = subprocess.run(["pkg-config", "--modversion", "gnutls"], capture_output=True, text=True).stdout.strip()
    doc = {
        "schema": "originscan-bench/1",
        "started": args.started,
        "machine": {"nproc": args.nproc, "kernel": platform.release(), "gnutls": gnutls},
        "params": {"mode": args.mode, "n": args.n, "k": args.k, "runs": args.runs, "timeout_s": args.timeout,
                   "peer_parallelism": args.peer_p, "network_namespace": bool(args.netns),
                   "originscan_has_ndjson": bool(args.ndjson), "ceiling_priority": args.ceiling_priority,
                   "small": args.small, "big": args.big},
        "skipped": [s for s in args.skipped.split(",") if s],
        **body,
    }
    with open(args.out + ".tmp", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(args.out + ".tmp", args.out)
    print(f"\nfigures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
