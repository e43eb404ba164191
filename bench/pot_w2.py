#!/usr/bin/python3
"""POT peer of flowkit's exact W2: ot.emd2 (network simplex) on the squared Euclidean cost of
two equal-size point sets with uniform weights. Prints one JSON object: the W2 distance, the
seconds of the cost matrix and of emd2, and the BLAS libraries this process mapped.

  pot_w2.py A.npy B.npy [--threads T]"""
import argparse
import json
import os
import time

import numpy as np


def loaded_blas():
    with open("/proc/self/maps") as f:
        return sorted({l.split()[-1] for l in f if "blas" in l.split()[-1] or "lapack" in l.split()[-1]})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import ot  # after the thread count is set

    xa, xb = np.load(args.a).astype(np.float64), np.load(args.b).astype(np.float64)
    w = np.full(len(xa), 1.0 / len(xa))
    t0 = time.perf_counter()
    cost = ot.dist(xa, xb)  # squared Euclidean
    t1 = time.perf_counter()
    w2sq = ot.emd2(w, w, cost, numItermax=10**9, numThreads=args.threads)
    t2 = time.perf_counter()
    print(json.dumps({"n": len(xa), "w2": float(np.sqrt(w2sq)), "cost_s": t1 - t0, "emd_s": t2 - t1,
                      "seconds": t2 - t0, "threads": args.threads, "pot": ot.__version__, "blas": loaded_blas()}))


if __name__ == "__main__":
    main()
