#!/bin/bash
# reflow: rectified flow's reflow, the Unix way. A teacher learns 8gaussians; its own ODE
# (midpoint, 50 steps) turns fresh noise into samples, written as (noise, sample) pairs
# (flow-sample --pairs); a student of the same size learns that fixed coupling (flow-train
# --pairs: the 2-rectified flow). Printed as one JSON object: for each model, the straightness
# of its paths (flow-eval paths, 1 for straight) and the W2 (n = 2000) of its samples to fresh
# data with 1 Euler step, with 2, 4 and 100 Euler steps beside, and the real-vs-real floor
# (two fresh sets of 2000 points).
# --quick: a small network and short runs for the tests (under a minute); the full run takes
# about 3 minutes of CPU (7 on a busy 2-core machine). The programs come from $FLOWKIT_BIN or PATH.
set -euo pipefail
[ -n "${FLOWKIT_BIN:-}" ] && export PATH="$FLOWKIT_BIN:$PATH"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ "${1:-}" = --quick ]; then
  mode=quick pairs=4000 net=(--width 64 --depth 3) teacher=(--steps 2000) student=(--steps 2000)
elif [ -z "${1:-}" ]; then
  mode=full pairs=20000 net=(--width 128 --depth 3) teacher=(--steps 10000) student=(--steps 10000)
else
  echo "usage: reflow.sh [--quick]" >&2
  exit 2
fi
data=8gaussians n=2000
flow-train --toy "$data" "${net[@]}" "${teacher[@]}" --seed 1 -q -o "$dir/teacher.json"
flow-sample -m "$dir/teacher.json" -n "$pairs" --solver midpoint --steps 50 --pairs --seed 2 -q -o "$dir/pairs.npy"
flow-train --pairs "$dir/pairs.npy" "${net[@]}" "${student[@]}" --seed 3 -q -o "$dir/student.json"

flow-data "$data" -n "$n" --seed 10 -o "$dir/real.npy"
flow-data "$data" -n "$n" --seed 11 -o "$dir/real2.npy"
w2() { flow-eval compare "$1" "$2" --metrics w2 | /usr/bin/python3 -c 'import json, sys; print(round(json.load(sys.stdin)["w2"], 4))'; }
floor=$(w2 "$dir/real.npy" "$dir/real2.npy")
out="{\"mode\": \"$mode\", \"data\": \"$data\", \"n\": $n, \"pairs\": $pairs, \"w2_floor\": $floor"
for m in teacher student; do
  flow-traj -m "$dir/$m.json" -n 1000 --steps 50 --solver midpoint --seed 4 -q -o "$dir/traj.npy"
  straight=$(flow-eval paths "$dir/traj.npy" | /usr/bin/python3 -c 'import json, sys; print(round(json.load(sys.stdin)["straightness"], 4))')
  out+=", \"$m\": {\"straightness\": $straight"
  for k in 1 2 4 100; do
    flow-sample -m "$dir/$m.json" -n "$n" --solver euler --steps $k --seed 5 -q -o "$dir/s.npy"
    out+=", \"w2_euler_$k\": $(w2 "$dir/s.npy" "$dir/real.npy")"
  done
  out+="}"
done
echo "$out}"
