#!/usr/bin/env python3
"""The sample corpus plus edited copies of some of its documents, under new ids: the near-copies a web corpus holds
and the false-negative guard must keep out of a meta-document's negatives. Every 5th document (seeded) gets one
copy, the kinds in turn: exact, re-spaced, a few words changed, a boilerplate line added.
usage: make-corpus.py SAMPLE.jsonl.gz OUT.jsonl.gz"""
import gzip, json, random, re, sys

src, out = sys.argv[1], sys.argv[2]
rng = random.Random(14)
docs = [json.loads(l) for l in gzip.open(src, "rt", encoding="utf-8")]

def respaced(t):
    # Doubled spaces, paragraphs separated by blank lines, trailing spaces: same words, other bytes.
    return "\n\n".join("  ".join(p.split(" ")) + "  " for p in t.split("\n"))

def words_changed(t):
    words = t.split(" ")
    for i in rng.sample(range(len(words)), max(1, len(words) // 40)):
        words[i] = rng.choice(["indeed", "notably", "however", "example", "various"])
    return " ".join(words)

def boilerplate(t):
    return "Originally published on our partner site. All rights reserved.\n" + t + "\nShare this article: Facebook | Twitter | Email"

kinds = [("exact", lambda t: t), ("respaced", respaced), ("words", words_changed), ("boilerplate", boilerplate)]
copies = []
for n, i in enumerate(sorted(rng.sample(range(len(docs)), len(docs) // 5))):
    kind, edit = kinds[n % len(kinds)]
    copies.append({"id": f"copy-{kind}-{docs[i]['id']}", "text": edit(docs[i]["text"])})
with gzip.open(out, "wt", encoding="utf-8") as f:
    for d in docs + copies:
        f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
print(f"{len(docs)} documents + {len(copies)} edited copies -> {out}", file=sys.stderr)
