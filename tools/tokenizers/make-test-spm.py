#!/usr/bin/python3
"""Train the tiny SentencePiece unigram model used by the tokenizer tests.

Run with Debian's interpreter (`apt-get install -y python3-sentencepiece`):
    /usr/bin/python3 tools/tokenizers/make-test-spm.py
Writes tests/NExtLong.Tests/Data/test-unigram-2k.model. The slice, settings and a single thread keep
the output reproducible, so CI uses the committed file and never needs Python.
"""
import gzip
import io
import json
import pathlib
import sentencepiece as spm

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "samples" / "sample-docs.jsonl.gz"
OUT_PREFIX = ROOT / "tests" / "NExtLong.Tests" / "Data" / "test-unigram-2k"
EVERY_NTH_DOC = 10   # ~1.6M chars drawn from every source of the corpus
MAX_LINE_CHARS = 2000  # the trainer silently drops sentences over 4192 bytes

lines = []
with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
    for i, line in enumerate(f):
        if i % EVERY_NTH_DOC:
            continue
        for paragraph in json.loads(line)["text"].split("\n"):
            while len(paragraph) > MAX_LINE_CHARS:
                cut = paragraph.rfind(" ", 0, MAX_LINE_CHARS)
                cut = cut if cut > 0 else MAX_LINE_CHARS
                lines.append(paragraph[:cut])
                paragraph = paragraph[cut:]
            if paragraph.strip():
                lines.append(paragraph)
total = sum(map(len, lines))

spm.SentencePieceTrainer.train(
    sentence_iterator=iter(lines),
    model_prefix=str(OUT_PREFIX),
    model_type="unigram",
    vocab_size=2000,
    character_coverage=0.9995,
    input_sentence_size=0,
    shuffle_input_sentence=False,
    num_threads=1,
    minloglevel=2,
)
OUT_PREFIX.with_suffix(".vocab").unlink()  # the tests read only the .model
print(f"{OUT_PREFIX.with_suffix('.model')} from {len(lines)} paragraphs, {total} chars")
