#!/usr/bin/python3
"""The FAISS side of one benchmark run, mirroring `NExtLong.IndexBench run`: build one index spec on a dataset
folder (train on xt.fbin when present, else on xb; add xb), serialise it to measure bytes per vector, then search
all queries at once for each nprobe of the same sqrt(2) grid until recall@k reaches --stop-recall. Appends one JSON
line to --json in the same shape.

Specs use nextlong's grammar and map to index_factory strings: Flat -> IndexFlatIP; IVFn,Flat|SQ8 -> the same;
IVFn,FP16 -> IVFn,SQfp16; IVFn,PQm -> the same (8-bit sub-codes of the residual, as nextlong's); IVFn,PQmx4fs -> the
same (FAISS's IndexIVFPQFastScan: 4-bit sub-codes scanned with in-register tables, as nextlong's); ...,RFlat ->
IndexRefineFlat with k_factor = kfactor (default 2, as nextlong). With --plateau P a sweep also stops once recall rose
by less than P since the previous nprobe (PQ's recall levels off below --stop-recall: its codes cap it).

usage: /usr/bin/python3 faiss_run.py --data DIR --spec IVF1024,SQ8 [--k 64] [--reps 1] [--plateau 0] [--json OUT] [--system faiss-avx2]
"""
import argparse, json, os, re, resource, tempfile, time
import numpy as np
import faiss
from binio import read_fbin, read_ibin

GRID = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
        6144, 8192, 12288, 16384]

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--spec", default="Flat")
ap.add_argument("--k", type=int, default=64)
ap.add_argument("--reps", type=int, default=1)
ap.add_argument("--stop-recall", type=float, default=0.95)
ap.add_argument("--budget-seconds", type=float, default=900)
ap.add_argument("--plateau", type=float, default=0.0)
ap.add_argument("--json", default=None)
ap.add_argument("--system", default="faiss", help="label of this FAISS build in the results: faiss (Debian's generic) or faiss-avx2")
args = ap.parse_args()
k = args.k


def load1():
    return float(open("/proc/loadavg").read().split()[0])


def timed(fn):
    la = load1(); c0 = time.process_time(); t0 = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t0, time.process_time() - c0, la


def recall(I, GT):
    hits = 0
    for a, b in zip(I, GT):
        hits += len(np.intersect1d(a[:k], b[:k]))
    return hits / (k * len(GT))


xb = read_fbin(f"{args.data}/xb.fbin")
xq = np.array(read_fbin(f"{args.data}/xq.fbin"))
gt = np.array(read_ibin(f"{args.data}/gt_I.ibin"))
n, d = xb.shape
# Which compiled variant actually loaded ("OPTIMIZE GENERIC" for Debian's, "OPTIMIZE AVX2" for the AVX2 build), and what the CPU offers:
# every figure carries both, since machines of one kind differ.
flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rec = dict(system=args.system, faiss_compile_options=faiss.get_compile_options(), cpu=model,
           cpu_flags=" ".join(f for f in flags if f.startswith(("avx", "fma", "f16c", "sse4", "amx"))), data=os.path.basename(os.path.abspath(args.data)), spec=args.spec, d=d, n=n, nq=len(xq), k=k,
           threads=faiss.omp_get_max_threads(), load1_start=load1(), faiss=faiss.__version__)
parts = [p.strip() for p in args.spec.split(",")]
refine = any(p.lower() == "rflat" for p in parts)
kfactor = 2
for p in parts:
    if p.lower().startswith("kfactor="):
        kfactor = int(p.split("=")[1])
xb_mem = np.ascontiguousarray(xb)
if args.spec == "Flat":
    index = faiss.IndexFlatIP(d)
    _, rec["add_s"], rec["add_cpu_s"], _ = timed(lambda: index.add(xb_mem))
    rec["train_s"] = 0.0
else:
    pq = re.fullmatch(r"pq(\d+)(x8|x4fs)?", parts[1].lower())
    if pq:
        storage = f"PQ{pq.group(1)}" + ("x4fs" if pq.group(2) == "x4fs" else "")
    else:
        storage = {"flat": "Flat", "sq8": "SQ8", "fp16": "SQfp16", "sqfp16": "SQfp16"}[parts[1].lower()]
    factory = f"{parts[0]},{storage}" + (",RFlat" if refine else "")
    index = faiss.index_factory(d, factory, faiss.METRIC_INNER_PRODUCT)
    if refine:
        index.k_factor = kfactor
    xt = np.array(read_fbin(f"{args.data}/xt.fbin")) if os.path.exists(f"{args.data}/xt.fbin") else xb_mem
    _, rec["train_s"], rec["train_cpu_s"], _ = timed(lambda: index.train(xt))
    _, rec["add_s"], rec["add_cpu_s"], _ = timed(lambda: index.add(xb_mem))
    rec["factory"] = factory
with tempfile.TemporaryDirectory() as tmp:
    faiss.write_index(index, f"{tmp}/index.faiss")
    rec["file_bytes"] = os.path.getsize(f"{tmp}/index.faiss")
rec["bytes_per_vector"] = rec["file_bytes"] / n
print(f"[{args.system}] {rec['data']} {args.spec}: train {rec['train_s']:.2f}s add {rec['add_s']:.2f}s, {rec['bytes_per_vector']:.1f} B/vector", flush=True)

# extract_index_ivf does not look inside IndexRefine in FAISS 1.7.3; its base_index is the IVF.
ivf = None if args.spec == "Flat" else faiss.extract_index_ivf(faiss.downcast_index(index).base_index if refine else index)
probes = [0] if ivf is None else [p for p in GRID if p <= ivf.nlist]
points, last = [], None
for p in probes:
    if last and last[1] * p / last[0] > args.budget_seconds:
        rec["stopped"] = f"nprobe {p} would take over {args.budget_seconds:.0f} s"
        break
    if ivf is not None:
        ivf.nprobe = p
    best = None
    for _ in range(args.reps):
        (D, I), w, c, la = timed(lambda: index.search(xq, k))
        if best is None or w < best[0]:
            best = (w, c, la, I)
    w, c, la, I = best
    r = recall(I, gt)
    points.append(dict(nprobe=p, search_s=w, cpu_s=c, qps=len(xq) / w, recall=r, load1=la))
    print(f"[{args.system}] {args.spec} nprobe {p}: {w:.2f}s (cpu {c:.1f}s, load1 {la:.2f}) QPS {len(xq) / w:.0f} recall@{k} {r:.4f}", flush=True)
    if r >= args.stop_recall or (args.plateau > 0 and len(points) > 1 and r - points[-2]["recall"] < args.plateau):
        break
    last = (max(p, 1), w)
rec["points"] = points
rec["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
line = json.dumps(rec)
if args.json:
    with open(args.json, "a") as f:
        f.write(line + "\n")
print(line)
