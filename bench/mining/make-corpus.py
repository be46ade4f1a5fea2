#!/usr/bin/env python3
"""A sizable corpus for the mining benchmark: the sample corpus and COPIES-1 re-worded copies of it.

Copy c > 0 replaces every word by its image under a permutation of the sample's vocabulary seeded by c, so the copies
keep the sample's paragraph and length structure but share no text with it or each other (no copy is a false negative
of another) and embed and index as distinct documents. Ids get the suffix "~c". Deterministic.
Usage: bench/mining/make-corpus.py SAMPLE.jsonl.gz COPIES OUT.jsonl.gz
"""
import gzip, json, random, re, sys

source, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
docs = [json.loads(line) for line in gzip.open(source, "rt", encoding="utf-8")]
word = re.compile(r"[^\W\d_]+")
vocabulary = sorted({w for d in docs for w in word.findall(d["text"])})
with gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as f:
    for c in range(copies):
        image = vocabulary[:]
        random.Random(c).shuffle(image)
        mapping = dict(zip(vocabulary, image))
        for d in docs:
            text = d["text"] if c == 0 else word.sub(lambda m: mapping[m.group(0)], d["text"])
            f.write(json.dumps({"id": d["id"] if c == 0 else f"{d['id']}~{c}", "text": text}, ensure_ascii=False) + "\n")
