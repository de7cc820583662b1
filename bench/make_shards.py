#!/usr/bin/env python3
"""Synthetic shard reports for the merge benchmark (bench/run --mode scale): N origins of a list
hN.bench.test@127.0.0.2:9 (refused), split into COUNT shard reports as `originscan scan --shard
I/COUNT` would (FNV-1a 64 of the identity text, modulo COUNT), each origin a refused probe with
the fields the report reader requires. Written streaming: memory stays flat.

    make_shards.py N COUNT DIR      -> DIR/shard-I.json for I in 0..COUNT-1
"""
import json
import sys

FNV_OFFSET, FNV_PRIME, MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


def fnv1a64(text):
    h = FNV_OFFSET
    for b in text.encode():
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def main():
    n, count, directory = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ids = [f"h{i}.bench.test:9@127.0.0.2" for i in range(n)]
    shard_of = [fnv1a64(t) % count for t in ids]
    here = [0] * count
    for s in shard_of:
        here[s] += 1
    files = [open(f"{directory}/shard-{i}.json", "w") for i in range(count)]
    settings = {"lists": ["list.txt"], "ca_files": [], "system_trust": True, "concurrency": 256, "timeout_s": 10,
                "retries": 1, "http_port": 80, "now": None, "rules_file": None, "baseline_file": None,
                "fail_on": [], "expiry_days": 14}
    for i, f in enumerate(files):
        head = {"schema_version": 1, "tool": {"name": "originscan", "version": sys.argv[4] if len(sys.argv) > 4 else "0"},
                "started_at": "2026-12-01T00:00:00.000Z", "finished_at": "2026-12-01T00:10:00.000Z",
                "judged_at": "2026-12-01T00:00:00Z", "complete": True, "settings": settings,
                "shard": {"index": i, "count": count, "origins_total": n, "origins_here": here[i],
                          "origins_left": n - here[i], "list_digest": "0123456789abcdef",
                          "options_digest": "fedcba9876543210", "listed_more_than_once": []}}
        text = json.dumps(head, indent=2)
        f.write(text[:-2] + ',\n  "summary": {},\n  "origins": [')
    first = [True] * count
    for index, (text, s) in enumerate(zip(ids, shard_of)):
        name = f"h{index}.bench.test"
        origin = {"index": index, "id": text, "input": f"{name}@127.0.0.2:9", "where": f"list.txt:{index + 1}",
                  "name": name, "port": 9, "address": "127.0.0.2", "scanned": True, "class": "unreachable",
                  "allowed_mode": "none", "reasons": ["refused"],
                  "verdict": {"required_mode": None, "baseline_mode": None, "change": "none", "violations": [], "pins": []},
                  "tls": None, "http": None, "failure": {"reason": "refused", "detail": "Connection refused"},
                  "timings": {"resolve_ms": 0, "connect_ms": 0.1, "handshake_ms": 0, "total_ms": 0.1}, "attempts": 2}
        files[s].write(("\n    " if first[s] else ",\n    ") + json.dumps(origin))
        first[s] = False
    for f in files:
        f.write('\n  ],\n  "removed": []\n}\n')
        f.close()


main()
