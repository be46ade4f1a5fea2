#!/usr/bin/env python3
"""False-negative rate of a synthesized dataset: the share of negatives whose word 5-grams occur at least half in their
meta-document, and of documents with at least one. Its own shingling (Python's unicodedata and re, not nextlong's):
lowercase, digit runs -> 0, NFD without combining marks, words = runs of letters and digits.
usage: zstd -dc OUT/part-*.jsonl.zst | measure.py CORPUS.jsonl.gz"""
import gzip, json, sys

from shingles import shingles  # beside this script

corpus = {}
for l in gzip.open(sys.argv[1], "rt", encoding="utf-8"):
    d = json.loads(l)
    corpus.setdefault(d["id"], d["text"])
negatives = false = docs = docs_with = 0
for line in sys.stdin:
    d = json.loads(line)
    meta = shingles(corpus[d["meta_document"]["id"]])
    text = d["text"]
    hit = 0
    for s in d["spans"]:
        if s["role"] != "negative":
            continue
        sh = shingles(text[s["char_start"]:s["char_end"]])
        negatives += 1
        if sh and len(sh & meta) / len(sh) >= 0.5:
            false += 1
            hit = 1
    docs += 1
    docs_with += hit
print(json.dumps({"documents": docs, "negatives": negatives, "false_negatives": false,
                  "false_negative_rate": round(false / max(1, negatives), 5),
                  "documents_with_false_negatives": docs_with, "document_rate": round(docs_with / max(1, docs), 4)}))
