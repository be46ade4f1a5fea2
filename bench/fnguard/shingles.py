"""Word 5-gram shingles of the false-negative measurement (measure.py) and of bench/dedup/make-corpus.py: Python's
unicodedata and re, not nextlong's."""
import re, unicodedata

def shingles(text, n=5):
    t = unicodedata.normalize("NFD", text.lower())
    t = "".join(c for c in t if unicodedata.category(c) != "Mn")
    t = re.sub(r"\d+([.,]\d+)?", "0", t)
    w = re.findall(r"[^\W_]+", t)
    return {" ".join(w[i:i + n]) for i in range(max(1, len(w) - n + 1))} if w else set()
