#!/usr/bin/python3
"""Turns the JSON lines written by `NExtLong.IndexBench run` and faiss_run.py into a Markdown table of ratios.

For every (dataset, spec) and system it keeps, per nprobe, the best (lowest) search time over all runs, and the
best build time (train + add); with --stat median, the median run's (of an even count, the lower middle one). QPS at a target recall is read off each system's recall/QPS curve: the first
nprobe reaching the target, with log(QPS) interpolated linearly in recall from the point before it (a curve that
starts above the target reads its first point). Exact search (Flat) is compared directly. When a FAISS sweep was
stopped by its time budget before reaching the target, its QPS there is at most that of its last point, so the
ratio is shown as a lower bound (≥).

usage: /usr/bin/python3 summarize.py results.jsonl [--targets 0.90,0.95] [--stat best|median] > results.md
"""
import argparse, json, math
from collections import defaultdict

ap = argparse.ArgumentParser()
ap.add_argument("results")
ap.add_argument("--targets", default="0.90,0.95")
ap.add_argument("--stat", choices=["best", "median"], default="best")
args = ap.parse_args()


def pick(values):
    """The best (least) of the values, or their median: the middle one of an odd count, the lower middle of an even one."""
    values = sorted(values)
    return values[0] if args.stat == "best" else values[(len(values) - 1) // 2]
targets = [float(t) for t in args.targets.split(",")]

runs = defaultdict(list)
for line in open(args.results):
    line = line.strip()
    if line:
        r = json.loads(line)
        runs[(r["data"], r["spec"], r["system"])].append(r)


def curve(rs):
    at = defaultdict(list)
    for r in rs:
        for p in r["points"]:
            at[p["nprobe"]].append(p)
    chosen = []
    for nprobe in sorted(at):
        s = pick([p["search_s"] for p in at[nprobe]])
        chosen.append(next(p for p in at[nprobe] if p["search_s"] == s))
    return chosen


def qps_at(points, target):
    prev = None
    for p in points:
        if p["recall"] >= target:
            if prev is None or p["recall"] == prev["recall"]:
                return p["qps"], p["nprobe"]
            f = (target - prev["recall"]) / (p["recall"] - prev["recall"])
            return math.exp(math.log(prev["qps"]) + f * (math.log(p["qps"]) - math.log(prev["qps"]))), p["nprobe"]
        prev = p
    return None, None


def fmt(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def ratio(a, b):
    return "—" if a is None or b is None or b == 0 else f"**{a / b:.2f}×**"


def load_range(rs):
    loads = [r["load1_start"] for r in rs] + [p["load1"] for r in rs for p in r["points"]]
    return f"{min(loads):.2f}–{max(loads):.2f}"


datasets = sorted({k[0] for k in runs}, key=lambda s: (s.split("-")[0], int(s.split("-d")[1].split("-")[0]) if "-d" in s else 0, s))
specs_order = lambda s: (s != "Flat", "RFlat" in s, s)
# Every FAISS build in the results is an anchor of its own: the AVX2 build first, Debian's generic one after.
anchors = sorted({k[2] for k in runs if k[2] != "nextlong"}, key=lambda a: (a != "faiss-avx2", a))
label = {"faiss-avx2": "FAISS-AVX2", "faiss": "FAISS (Debian generic)"}
head = ["data", "spec"]
for t in targets:
    head += [f"QPS@{t:.2f} nextlong"]
    for a in anchors:
        head += [label.get(a, a), "ratio"]
head += ["build s nextlong"]
for a in anchors:
    head += [label.get(a, a), "ratio"]
head += ["B/vector nextlong", "FAISS", "runs", "load1"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))


def qps_cells(spec, co, cf, theirs, t):
    if spec == "Flat":
        a = co[0]["qps"] if co else None
        b = cf[0]["qps"] if cf else None
        return a, "", [fmt(b), ratio(a, b)]
    a, pa = qps_at(co, t)
    b, pb = qps_at(cf, t)
    na = f" (np {pa})" if pa else ""
    if b is None and cf and any("stopped" in r for r in theirs):
        bound = min(p["qps"] for p in cf)
        return a, na, [f"≤ {bound:,.0f} (stopped at np {cf[-1]['nprobe']}, recall {cf[-1]['recall']:.3f})",
                       "—" if a is None else f"**≥ {a / bound:.2f}×**"]
    return a, na, [fmt(b) + (f" (np {pb})" if pb else ""), ratio(a, b)]


machines = set()
for data in datasets:
    for spec in sorted({k[1] for k in runs if k[0] == data}, key=specs_order):
        ours = runs.get((data, spec, "nextlong"), [])
        theirs = {a: runs.get((data, spec, a), []) for a in anchors}
        if not ours and not any(theirs.values()):
            continue
        everyone = ours + [r for a in anchors for r in theirs[a]]
        machines.update((r.get("cpu", "not recorded"), r.get("cpu_flags", "not recorded")) for r in everyone)
        row = [data, spec]
        co = curve(ours)
        for t in targets:
            cells = []
            for anchor in anchors:
                cells += qps_cells(spec, co, curve(theirs[anchor]), theirs[anchor], t)[2]
            a, na, _ = qps_cells(spec, co, [], [], t)
            row += [fmt(a) + na] + cells
        ba = pick([r["train_s"] + r["add_s"] for r in ours]) if ours else None
        row += [fmt(ba, 2)]
        for anchor in anchors:
            bb = pick([r["train_s"] + r["add_s"] for r in theirs[anchor]]) if theirs[anchor] else None
            row += [fmt(bb, 2), ratio(bb, ba)]
        first_faiss = next((theirs[a][0] for a in anchors if theirs[a]), None)
        row += [fmt(ours[0]["bytes_per_vector"], 1) if ours else "—", fmt(first_faiss["bytes_per_vector"], 1) if first_faiss else "—"]
        row += ["+".join(str(len(x)) for x in [ours] + [theirs[a] for a in anchors]), load_range(everyone)]
        print("| " + " | ".join(row) + " |")
print()
print("Ratios are nextlong ÷ FAISS for QPS (higher is better for nextlong) and FAISS ÷ nextlong for build time; "
      f"np = the nprobe where the curve reached the target. Build = train + add. Per nprobe and for builds: the {args.stat} "
      "run. Runs: nextlong+each anchor.")
for cpu, flags in sorted(machines):
    print(f"\nMachine: {cpu}; SIMD flags (/proc/cpuinfo): {flags}")
