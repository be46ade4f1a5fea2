#!/usr/bin/env python3
"""Recall of `nextlong dedup` by Jaccard band of the planted copies, and originals wrongly removed.
usage: zstd -dc OUT/duplicates.jsonl.zst | measure.py TRUTH.jsonl"""
import json, sys

truth = {t["id"]: t for t in map(json.loads, open(sys.argv[1]))}
removed = {d["id"]: d for d in map(json.loads, sys.stdin)}
bands = [(1.0, 1.01), (0.9, 1.0), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.4, 0.5), (0.3, 0.4), (0.0, 0.3)]
rows = []
for lo, hi in bands:
    ids = [i for i, t in truth.items() if lo <= t["jaccard"] < hi]
    hit = sum(1 for i in ids if i in removed)
    rows.append({"jaccard": f"[{lo:.1f}, {hi:.1f})" if hi <= 1 else "1.0", "copies": len(ids), "removed": hit,
                 "recall": round(hit / len(ids), 4) if ids else None})
by_kind = {}
for i, t in truth.items():
    k = by_kind.setdefault(t["kind"], [0, 0]); k[0] += 1; k[1] += i in removed
wrong = [i for i in removed if i not in truth]
print(json.dumps({"bands": rows, "kinds": {k: {"copies": v[0], "removed": v[1]} for k, v in by_kind.items()},
                  "originals_removed": len(wrong), "originals_removed_ids": wrong[:10]}, indent=1))
