#!/bin/bash
# fewstep: one network evaluation per sample with MeanFlow. On 8gaussians and the checkerboard
# a flow-matching teacher and a MeanFlow model (flow-train --objective meanflow) of the same
# size learn with the same budget; printed as one JSON object, for each data set: the W2
# (n = 2000) to fresh data of the teacher's samples with 100 Euler steps and with 1 (the
# "before": one evaluation), of the MeanFlow models' with 1, 2 and 4 of their average-velocity
# steps (one evaluation each), and the real-vs-real floor (two fresh sets of 2000 points).
# Two MeanFlow models: "meanflow" with the paper's settings (adaptive weights p = 1, its
# logit-normal times), "meanflow_plain" with plain squares (--mf-power 0, uniform times, a
# tenth of the learning rate: with plain squares the default rate diverged).
# --quick: a small network and short runs for the tests (under a minute); the full run takes
# about 8 minutes of CPU. The programs come from $FLOWKIT_BIN or PATH.
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
plain=(--objective meanflow --mf-power 0 --lr 1e-3)
w2() { flow-eval compare "$1" "$2" --metrics w2 | /usr/bin/python3 -c 'import json, sys; print(round(json.load(sys.stdin)["w2"], 4))'; }
out="{\"mode\": \"$mode\", \"n\": $n"
for data in 8gaussians checkerboard; do
  flow-data "$data" -n "$n" --seed 10 -o "$dir/real.npy"
  flow-data "$data" -n "$n" --seed 11 -o "$dir/real2.npy"
  flow-train --toy "$data" "${train[@]}" --seed 1 -q -o "$dir/teacher.json"
  flow-train --toy "$data" "${train[@]}" "${mf[@]}" --seed 1 -q -o "$dir/meanflow.json"
  flow-train --toy "$data" "${train[@]}" "${plain[@]}" --seed 1 -q -o "$dir/meanflow_plain.json"
  out+=", \"$data\": {\"w2_floor\": $(w2 "$dir/real.npy" "$dir/real2.npy")"
  for k in 100 1; do
    flow-sample -m "$dir/teacher.json" -n "$n" --solver euler --steps $k --seed 5 -q -o "$dir/s.npy"
    out+=", \"teacher_euler_$k\": $(w2 "$dir/s.npy" "$dir/real.npy")"
  done
  for m in meanflow meanflow_plain; do
    for k in 1 2 4; do
      flow-sample -m "$dir/$m.json" -n "$n" --steps $k --seed 5 -q -o "$dir/s.npy"
      out+=", \"${m}_$k\": $(w2 "$dir/s.npy" "$dir/real.npy")"
    done
  done
  out+="}"
done
echo "$out}"
