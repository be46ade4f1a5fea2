"""big-ann-benchmarks style vector files, shared with bench/NExtLong.IndexBench (little-endian):
*.fbin: uint32 n, uint32 d, then n*d float32 row-major; *.ibin: the same with int32."""
import os
import numpy as np


def write_bin(path, a):
    a = np.ascontiguousarray(a)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.array(a.shape, dtype="<u4").tofile(f)
        a.astype(a.dtype.newbyteorder("<"), copy=False).tofile(f)
    os.replace(tmp, path)


def read_bin(path, dtype):
    n, d = np.fromfile(path, dtype="<u4", count=2)
    return np.memmap(path, dtype=dtype, mode="r", offset=8, shape=(int(n), int(d)))


def read_fbin(path):
    return read_bin(path, "<f4")


def read_ibin(path):
    return read_bin(path, "<i4")
