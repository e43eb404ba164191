#!/bin/bash
# cost-quality: sample quality against network evaluations, for every fixed-step solver and a
# few step counts. Quality is the exact W2 between 2,000 samples and 2,000 fresh data points,
# printed beside its floor (W2 between two fresh sets of 2,000 data points: what a perfect
# sampler reaches); evaluations are the NFE per sample that flow-sample reports.
# usage: cost-quality.sh [--quick] [MODEL DATA...]
#   MODEL (default share/models/gmm8.json, the exact field of 8 Gaussians of radius 3: solver
#   error alone) and the flow-data command of its data (default: 8gaussians --radius 3).
#   --quick: steps 1, 2 and 4 only (the tests). Prints a Markdown table on standard output.
# The programs come from $FLOWKIT_BIN or PATH.
set -euo pipefail
[ -n "${FLOWKIT_BIN:-}" ] && export PATH="$FLOWKIT_BIN:$PATH"
here=$(cd "$(dirname "$0")" && pwd)
steps=(1 2 4 8 16 32)
if [ "${1:-}" = --quick ]; then steps=(1 2 4); shift; fi
model=$here/../models/gmm8.json data=(8gaussians --radius 3)
if [ $# -ge 1 ]; then model=$1; shift; fi
if [ $# -ge 1 ]; then data=("$@"); fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=2000
flow-data "${data[@]}" -n "$n" --seed 10 -o "$dir/real.npy"
flow-data "${data[@]}" -n "$n" --seed 11 -o "$dir/real2.npy"
w2() { flow-eval compare "$1" "$2" --metrics w2 | /usr/bin/python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["w2"])'; }
echo "model $(basename "$model"), data ${data[*]}: W2 (n = $n) floor $(w2 "$dir/real.npy" "$dir/real2.npy")"
echo
echo "| solver | steps | NFE | W2 |"
echo "| --- | --- | --- | --- |"
for s in euler midpoint heun rk4 ab2 ab3; do
  for k in "${steps[@]}"; do
    flow-sample -m "$model" -n "$n" --solver "$s" --steps "$k" --seed 5 -q --log "$dir/log" -o "$dir/s.npy"
    nfe=$(/usr/bin/python3 -c 'import json, sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["nfe"])' "$dir/log")
    echo "| $s | $k | $nfe | $(w2 "$dir/s.npy" "$dir/real.npy") |"
    rm -f "$dir/log"
  done
done
