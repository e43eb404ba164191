#!/bin/bash
# fewstep: one network evaluation per sample with MeanFlow. On 8gaussians and the checkerboard
# a flow-matching teacher and a MeanFlow model (flow-train --objective meanflow) of the same
# size learn with the same budget; printed as one JSON object, for each data set: the W2
# (n = 2000) to fresh data of the teacher's samples with 100 Euler steps and with 1 (the
# "before": one evaluation), of the MeanFlow model's with 1, 2 and 4 of its average-velocity
# steps (one evaluation each), and the real-vs-real floor (two fresh sets of 2000 points).
# --quick: a small network and short runs for the tests (under a minute); the full run takes
# about 6 minutes of CPU. The programs come from $FLOWKIT_BIN or PATH.
set -euo pipefail
[ -n "${FLOWKIT_BIN:-}" ] && export PATH="$FLOWKIT_BIN:$PATH"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ "${1:-}" = --quick ]; then
  mode=quick train=(--width 64 --depth 3 --steps 2000)
elif [ -z "${1:-}" ]; then
  mode=full train=(--width 128 --depth 3 --steps 10000)
else
  echo "usage: fewstep.sh [--quick]" >&2
  exit 2
fi
n=2000
mf=(--objective meanflow --t-dist meanflow)
w2() { flow-eval compare "$1" "$2" --metrics w2 | /usr/bin/python3 -c 'import json, sys; print(round(json.load(sys.stdin)["w2"], 4))'; }
out="{\"mode\": \"$mode\", \"n\": $n"
for data in 8gaussians checkerboard; do
  flow-data "$data" -n "$n" --seed 10 -o "$dir/real.npy"
  flow-data "$data" -n "$n" --seed 11 -o "$dir/real2.npy"
  flow-train --toy "$data" "${train[@]}" --seed 1 -q -o "$dir/teacher.json"
  flow-train --toy "$data" "${train[@]}" "${mf[@]}" --seed 1 -q -o "$dir/meanflow.json"
  out+=", \"$data\": {\"w2_floor\": $(w2 "$dir/real.npy" "$dir/real2.npy")"
  for k in 100 1; do
    flow-sample -m "$dir/teacher.json" -n "$n" --solver euler --steps $k --seed 5 -q -o "$dir/s.npy"
    out+=", \"teacher_euler_$k\": $(w2 "$dir/s.npy" "$dir/real.npy")"
  done
  for k in 1 2 4; do
    flow-sample -m "$dir/meanflow.json" -n "$n" --steps $k --seed 5 -q -o "$dir/s.npy"
    out+=", \"meanflow_$k\": $(w2 "$dir/s.npy" "$dir/real.npy")"
  done
  out+="}"
done
echo "$out}"
