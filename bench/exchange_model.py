#!/usr/bin/env python3
"""The README's scaling table on paper ("Training on several machines"): the efficiency
compute / (compute + exchange) of K machines training the MLP of width 256 (P = 136,962
parameters) data-parallel, for the two exchanges of flow-train --exchange.

Compute: 6 P b FLOPs per machine and step at R = 110 GFLOP/s (b samples per machine).
Each message costs a latency: the network's (10 us at 10 Gbit/s, 3 us at 100 Gbit/s) plus
the software cost per message measured with bench/mpi_exchange.sh (SOFT_US). The messages
of a step, as flow-train sends them (train/grad.cpp, cli/mpi.cpp, tools/flow-train.cpp):
  gather: an allgather of L shards' gradients (L (4P + 8) bytes) from every machine: K - 1
    messages in OpenMPI's ring allgather for large blocks, (K - 1) L (4P + 8) bytes received;
  ring: 2 (K - 1) messages of 4P/K bytes, then an allgather of the 8-byte losses
    (ceil(log2 K) messages);
  both: the stop check (an allreduce of one int, ceil(log2 K) messages).
Usage: python3 bench/exchange_model.py [SOFT_US]
"""
import math
import sys

P, R, L = 136962, 110e9, 2
soft = float(sys.argv[1]) if len(sys.argv) > 1 else 25.0
nets = {"10 Gbit/s": (1.25e9, 10e-6), "100 Gbit/s": (12.5e9, 3e-6)}


def exchange_s(kind, k, bw, lat):
    if k == 1:
        return 0.0
    a = lat + soft * 1e-6
    logk = math.ceil(math.log2(k))
    if kind == "gather":
        return (k - 1) * (a + L * (4 * P + 8) / bw) + logk * a
    return 2 * (k - 1) * (a + 4 * P / k / bw) + 2 * logk * a


def eff(kind, k, net, b):
    bw, lat = nets[net]
    c = 6 * P * b / R
    return c / (c + exchange_s(kind, k, bw, lat))


cols = [("ring", "10 Gbit/s", 256), ("ring", "100 Gbit/s", 256), ("gather", "10 Gbit/s", 256),
        ("gather", "100 Gbit/s", 256), ("ring", "10 Gbit/s", 4096), ("gather", "10 Gbit/s", 4096),
        ("gather", "100 Gbit/s", 4096)]
print("| machines | " + " | ".join(f"{k}, {n}" + (f", b = {b}" if b != 256 else "") for k, n, b in cols) + " |")
print("| --- " * (len(cols) + 1) + "|")
for k in (1, 2, 4, 8, 16, 32, 64):
    print(f"| {k} | " + " | ".join(f"{100 * eff(kind, k, n, b):.0f}%" for kind, n, b in cols) + " |")
