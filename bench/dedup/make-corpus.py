#!/usr/bin/env python3
"""The sample corpus plus copies of known Jaccard, under new ids, for measuring `nextlong dedup`: a seeded 40 % of the
documents (of at least 50 words) get one copy each, the kinds in turn: exact, re-cased and re-spaced (both exact up to
normalisation), and words replaced at a rate r (light: 0.5-2 %, medium: 4-8 %, heavy: 10-30 %), so the copies' word
5-gram Jaccard with their original spans 1 down to about 0.1. Each copy's Jaccard is measured with bench/fnguard's
independent Python shingler and written to the truth file. Copies follow all originals, so the original is always the
first in input order and the one to keep.
usage: make-corpus.py SAMPLE.jsonl.gz OUT.jsonl.gz TRUTH.jsonl"""
import gzip, json, os, random, sys
from importlib import util
spec = util.spec_from_file_location("measure_shingles", os.path.join(os.path.dirname(__file__), "..", "fnguard", "shingles.py"))
sh = util.module_from_spec(spec); spec.loader.exec_module(sh)

src, out, truth_path = sys.argv[1:4]
rng = random.Random(25)
docs = [json.loads(l) for l in gzip.open(src, "rt", encoding="utf-8")]
vocabulary = sorted({w for d in docs[:200] for w in d["text"].split() if w.isalpha() and len(w) > 3})

def replaced(t, rate):
    words = t.split(" ")
    for i in range(len(words)):
        if rng.random() < rate:
            words[i] = rng.choice(vocabulary)
    return " ".join(words)

kinds = [
    ("exact", lambda t: t),
    ("recased", lambda t: "  " + t.upper().replace(" ", "   ") + "\n"),
    ("light", lambda t: replaced(t, rng.uniform(0.005, 0.02))),
    ("medium", lambda t: replaced(t, rng.uniform(0.04, 0.08))),
    ("heavy", lambda t: replaced(t, rng.uniform(0.10, 0.30))),
]
eligible = [i for i, d in enumerate(docs) if len(d["text"].split()) >= 50]
copies, truth = [], []
for n, i in enumerate(sorted(rng.sample(eligible, int(len(docs) * 0.4)))):
    kind, edit = kinds[n % len(kinds)]
    text = edit(docs[i]["text"])
    cid = f"copy-{kind}-{docs[i]['id']}"
    copies.append({"id": cid, "text": text})
    a, b = sh.shingles(docs[i]["text"]), sh.shingles(text)
    truth.append({"id": cid, "original": docs[i]["id"], "kind": kind, "jaccard": len(a & b) / max(1, len(a | b))})
with gzip.open(out, "wt", encoding="utf-8") as f:
    for d in docs + copies:
        f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
with open(truth_path, "w") as f:
    for t in truth:
        f.write(json.dumps(t) + "\n")
print(f"{len(docs)} documents + {len(copies)} copies -> {out}", file=sys.stderr)
