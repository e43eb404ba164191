#!/usr/bin/python3
"""POT peer of flowkit's exact W2: ot.emd2 (network simplex) on the squared Euclidean cost of
two equal-size point sets with uniform weights. Prints one JSON object: the W2 distance, the
seconds of the cost matrix and of emd2, and the BLAS libraries this process mapped. As
flowkit's bench/w2_rate: one untimed warm-up solve on the first --warmup points, then --reps
timed solves of the whole sets; the best is reported.

  pot_w2.py A.npy B.npy [--threads T] [--reps R]"""
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
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--warmup", type=int, default=500)
    args = p.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import ot  # after the thread count is set

    xa, xb = np.load(args.a).astype(np.float64), np.load(args.b).astype(np.float64)

    def solve(a, b):
        w = np.full(len(a), 1.0 / len(a))
        t0 = time.perf_counter()
        cost = ot.dist(a, b)  # squared Euclidean
        t1 = time.perf_counter()
        w2sq = ot.emd2(w, w, cost, numItermax=10**9, numThreads=args.threads)
        return float(np.sqrt(w2sq)), t1 - t0, time.perf_counter() - t1

    solve(xa[:args.warmup], xb[:args.warmup])
    runs = [solve(xa, xb) for _ in range(args.reps)]
    w2, cost_s, emd_s = min(runs, key=lambda r: r[1] + r[2])
    print(json.dumps({"n": len(xa), "w2": w2, "cost_s": cost_s, "emd_s": emd_s, "seconds": cost_s + emd_s,
                      "reps": args.reps, "threads": args.threads, "pot": ot.__version__, "blas": loaded_blas()}))


if __name__ == "__main__":
    main()
