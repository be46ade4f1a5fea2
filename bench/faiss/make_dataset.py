#!/usr/bin/python3
"""Writes one benchmark dataset folder for the side-by-side runs: xb.fbin (database), xq.fbin (queries),
xt.fbin (training sample), gt_I.ibin / gt_D.fbin (exact top-k by IndexFlatIP) and meta.json.

  random:     N(0,1) float32, L2-normalised, generated exactly as /work/shared/bench/faiss_bench.py does
              (numpy PCG64 seeded 1234 + 7*d + N; queries drawn after the database; xt = a random ntrain-row
              sample of xb chosen with the same generator, as that script trains IVF).
  structured: faiss.contrib.datasets.SyntheticDataset(d, ntrain, N, nq, metric="IP") (intrinsic dim ~10, FAISS's
              test generator, as faiss_bench_structured.py uses), every set L2-normalised.

usage: /usr/bin/python3 make_dataset.py --kind random|structured --d 384 --N 200000 --out DIR
"""
import argparse, json, os, time
import numpy as np
import faiss
from binio import write_bin

ap = argparse.ArgumentParser()
ap.add_argument("--kind", choices=["random", "structured"], required=True)
ap.add_argument("--d", type=int, required=True)
ap.add_argument("--N", type=int, required=True)
ap.add_argument("--nq", type=int, default=10_000)
ap.add_argument("--ntrain", type=int, default=50_000)
ap.add_argument("--k", type=int, default=64)
ap.add_argument("--seed", type=int, default=1234)
ap.add_argument("--out", required=True)
args = ap.parse_args()
d, N = args.d, args.N
t0 = time.perf_counter()
if args.kind == "random":
    def rand_unit(rng, n, d, chunk=100_000):  # identical to faiss_bench.py
        x = np.empty((n, d), dtype=np.float32)
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            x[s:e] = rng.standard_normal((e - s, d), dtype=np.float32)
        faiss.normalize_L2(x)
        return x
    rng = np.random.default_rng(args.seed + d * 7 + N)
    xb = rand_unit(rng, N, d)
    xq = rand_unit(rng, args.nq, d)
    samp = rng.choice(N, size=min(args.ntrain, N), replace=False)
    samp.sort()
    xt = xb[samp]
else:
    from faiss.contrib.datasets import SyntheticDataset
    ds = SyntheticDataset(d, args.ntrain, N, args.nq, metric="IP")
    xt, xb, xq = ds.get_train(), ds.get_database(), ds.get_queries()
    for x in (xt, xb, xq):
        faiss.normalize_L2(x)
tgen = time.perf_counter() - t0
os.makedirs(args.out, exist_ok=True)
t0 = time.perf_counter()
flat = faiss.IndexFlatIP(d)
flat.add(xb)
D, I = flat.search(xq, args.k)
tgt = time.perf_counter() - t0
write_bin(f"{args.out}/xb.fbin", xb)
write_bin(f"{args.out}/xq.fbin", xq)
write_bin(f"{args.out}/xt.fbin", xt)
write_bin(f"{args.out}/gt_I.ibin", I.astype(np.int32))
write_bin(f"{args.out}/gt_D.fbin", D.astype(np.float32))
meta = dict(kind=args.kind, d=d, N=N, nq=args.nq, ntrain=len(xt), k=args.k, seed=args.seed, faiss=faiss.__version__,
            generate_s=tgen, groundtruth_s=tgt, mean_cos_nn1=float(D[:, 0].mean()), mean_cos_nn64=float(D[:, -1].mean()))
json.dump(meta, open(f"{args.out}/meta.json", "w"), indent=1)
print(json.dumps(meta))
