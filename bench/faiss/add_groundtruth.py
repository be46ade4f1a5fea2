#!/usr/bin/python3
"""Adds exact top-k (FAISS IndexFlatIP) ground truth, gt_I.ibin and gt_D.fbin, to a folder holding xb.fbin and
xq.fbin (e.g. the sample-corpus embeddings written by `NExtLong.IndexBench embed-sample`).

usage: /usr/bin/python3 add_groundtruth.py --data DIR [--k 64]
"""
import argparse, json
import numpy as np
import faiss
from binio import read_fbin, write_bin

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--k", type=int, default=64)
ap.add_argument("--kind", default="real")
args = ap.parse_args()
xb, xq = np.array(read_fbin(f"{args.data}/xb.fbin")), np.array(read_fbin(f"{args.data}/xq.fbin"))
flat = faiss.IndexFlatIP(xb.shape[1])
flat.add(xb)
D, I = flat.search(xq, args.k)
write_bin(f"{args.data}/gt_I.ibin", I.astype(np.int32))
write_bin(f"{args.data}/gt_D.fbin", D.astype(np.float32))
meta = dict(kind=args.kind, d=xb.shape[1], N=len(xb), nq=len(xq), ntrain=0, k=args.k, faiss=faiss.__version__,
            mean_cos_nn1=float(D[:, 0].mean()), mean_cos_nn2=float(D[:, 1].mean()), mean_cos_nn64=float(D[:, -1].mean()))
json.dump(meta, open(f"{args.data}/meta.json", "w"), indent=1)
print(json.dumps(meta))
