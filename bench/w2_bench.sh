#!/bin/bash
# W2 timing: flow-eval compare --metrics w2 against POT's ot.emd2 (Debian's python3-pot) on the
# same two point sets (N(0, I) and N(0.5, I) in 2-D), for each size given (default 2000 10000).
# Usage: bench/w2_bench.sh [N...]   (flow-eval on PATH or in build/bin)
set -euo pipefail
export PATH="$(cd "$(dirname "$0")/.." && pwd)/build/bin:$PATH"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in "${@:-2000 10000}"; do
  /usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(1)
np.save('$dir/a.npy', r.normal(size=($n, 2)).astype(np.float32))
np.save('$dir/b.npy', (r.normal(size=($n, 2)) + 0.5).astype(np.float32))"
  start=$(date +%s.%N)
  w=$(flow-eval compare "$dir/a.npy" "$dir/b.npy" --metrics w2 | /usr/bin/python3 -c "import json, sys; print(json.load(sys.stdin)['w2'])")
  t=$(echo "$(date +%s.%N) - $start" | bc)
  echo "n=$n flowkit: w2=$w time=${t}s"
  /usr/bin/python3 -c "
import time, numpy as np, ot
a = np.load('$dir/a.npy').astype(np.float64); b = np.load('$dir/b.npy').astype(np.float64)
t = time.time(); w = np.sqrt(ot.emd2([], [], ot.dist(a, b), numItermax=10**9))
print('n=$n POT ot.emd2: w2=%.6f time=%.2fs' % (w, time.time() - t))"
done
