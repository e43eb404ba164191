#!/bin/bash
# fewstep: one network evaluation per sample with MeanFlow, a shortcut model and a distilled
# teacher. On 8gaussians and the checkerboard a flow-matching teacher, MeanFlow models
# (flow-train --objective meanflow) and a shortcut model (--objective shortcut) of the same size
# learn with the same budget, and a student distills the teacher (its midpoint 50-step samples
# of fresh noise as pairs, flow-sample --pairs; flow-train --objective distill --init teacher:
# the same network; as many steps again in the full run, half as many with --quick); printed
# as one JSON object, for each data set: the W2 (n = 2000) to fresh data of the teacher's
# samples with 100 Euler steps and with 1 (the "before": one evaluation), of the one-step
# models' with 1, 2 and 4 of their average-velocity steps (one evaluation each), the distilled
# student's one pass ("distill_1"), and the real-vs-real floor (two fresh sets of 2000 points).
# Two MeanFlow models: "meanflow" with the paper's settings (adaptive weights p = 1, its
# logit-normal times), "meanflow_plain" with plain squares (--mf-power 0, uniform times, a
# tenth of the learning rate: with plain squares the default rate diverged); "shortcut" at the
# teacher's settings.
# Then the 8x8 digits through a class-conditional U-Net (8 and 16 channels): a flow-matching
# teacher, a MeanFlow U-Net and a shortcut U-Net of the same size and budget, and the teacher
# distilled (500 pairs per class by midpoint 20 at W = 1), "digits" in the JSON: the Frechet
# distance (in pixels) of 500 samples (50 per class, W = 1) to the 539 held-out digits for the
# teacher's Euler 1 and midpoint 20 (40 evaluations), the one-step models' 1, 2 and 4 steps and
# the student's one pass, with the floor (500 training digits against the held-out ones: real
# against real) and the kNN agreement of each.
# With OUTDIR, the pictures fewstep-digits.png: a digit of each class (columns) from each
# sampler (rows: the teacher's 40 evaluations and its one Euler step, one MeanFlow pass, one
# shortcut pass, one distilled pass), and fewstep-quality.png: the digits' Frechet distance
# against network evaluations, a line per method (the teacher's Euler 1 and midpoint 2, 4 and
# 20 steps; the one-step models' 1, 2 and 4 steps; the student's one pass, a point).
# Usage: fewstep.sh [--quick] [OUTDIR]
# --quick: a small network and short runs for the tests (about a minute); the full run takes
# about 12 minutes on two cores (measured 2026-12-05, with the distilled students). The
# programs come from $FLOWKIT_BIN or PATH.
set -euo pipefail
[ -n "${FLOWKIT_BIN:-}" ] && export PATH="$FLOWKIT_BIN:$PATH"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mode=full train=(--width 128 --depth 3 --steps 10000) distill=(--steps 10000) pairs=20000 digit_pairs=500
if [ "${1:-}" = --quick ]; then
  mode=quick train=(--width 64 --depth 3 --steps 2000) distill=(--steps 1000) pairs=4000 digit_pairs=100
  shift
fi
case "${1:-}" in
  -*) echo "usage: fewstep.sh [--quick] [OUTDIR]" >&2; exit 2 ;;
esac
pics=${1:-}  # where the digits' picture goes (none without)
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
  flow-train --toy "$data" "${train[@]}" --objective shortcut --seed 1 -q -o "$dir/shortcut.json"
  flow-sample -m "$dir/teacher.json" -n "$pairs" --solver midpoint --steps 50 --pairs --seed 2 -q -o "$dir/pairs.npy"
  flow-train --pairs "$dir/pairs.npy" --init "$dir/teacher.json" --objective distill "${distill[@]}" --seed 3 -q \
    -o "$dir/distill.json"
  out+=", \"$data\": {\"w2_floor\": $(w2 "$dir/real.npy" "$dir/real2.npy")"
  for k in 100 1; do
    flow-sample -m "$dir/teacher.json" -n "$n" --solver euler --steps $k --seed 5 -q -o "$dir/s.npy"
    out+=", \"teacher_euler_$k\": $(w2 "$dir/s.npy" "$dir/real.npy")"
  done
  for m in meanflow meanflow_plain shortcut; do
    for k in 1 2 4; do
      flow-sample -m "$dir/$m.json" -n "$n" --steps $k --seed 5 -q -o "$dir/s.npy"
      out+=", \"${m}_$k\": $(w2 "$dir/s.npy" "$dir/real.npy")"
    done
  done
  flow-sample -m "$dir/distill.json" -n "$n" --seed 5 -q -o "$dir/s.npy"
  out+=", \"distill_1\": $(w2 "$dir/s.npy" "$dir/real.npy")}"
done

# The digits through the U-Net: Frechet distance and kNN agreement against held-out digits
steps=$([ "$mode" = quick ] && echo 300 || echo 4000)
unet=(--net unet --channels 8,16 --groups 4 --embed 16 --batch 32 --conditional --steps "$steps" --seed 1 -q)
flow-data digits -o "$dir/digits.npy"
flow-data split "$dir/digits.npy" --test-fraction 0.3 --seed 2 -o "$dir/train.npy" --test-output "$dir/heldout.npy"
flow-data split "$dir/train.npy" --test-fraction "$(awk 'BEGIN { print 500 / 1258 }')" --seed 3 -o "$dir/rest.npy" \
  --test-output "$dir/part.npy"
flow-train "$dir/train.npy" "${unet[@]}" -o "$dir/teacher.json"
flow-train "$dir/train.npy" "${unet[@]}" --objective meanflow --t-dist meanflow -o "$dir/meanflow.json"
flow-train "$dir/train.npy" "${unet[@]}" --objective shortcut -o "$dir/shortcut.json"
flow-sample -m "$dir/teacher.json" --class all -n "$digit_pairs" --solver midpoint --steps 20 --pairs --seed 2 -q \
  -o "$dir/pairs.npy"
flow-train --pairs "$dir/pairs.npy" --init "$dir/teacher.json" --objective distill --conditional --batch 32 \
  --steps "$steps" --seed 3 -q -o "$dir/distill.json"
fd() {
  flow-eval compare "$1" "$2" --metrics fd,knn | /usr/bin/python3 -c \
    'import json, sys; j = json.load(sys.stdin); print("{\"fd\": %.4f, \"knn\": %.3f}" % (j["fd"], j["knn_agreement"]))'
}
out+=", \"digits\": {\"steps\": $steps, \"floor\": $(fd "$dir/part.npy" "$dir/heldout.npy")"
draw() { flow-sample --class all -n 50 --seed 5 -q -o "$dir/s.npy" "$@"; }
draw -m "$dir/teacher.json" --solver euler --steps 1
out+=", \"teacher_euler_1\": $(fd "$dir/s.npy" "$dir/heldout.npy")"
for k in 2 4 20; do
  draw -m "$dir/teacher.json" --solver midpoint --steps $k
  out+=", \"teacher_midpoint_$k\": $(fd "$dir/s.npy" "$dir/heldout.npy")"
done
for m in meanflow shortcut; do
  for k in 1 2 4; do
    draw -m "$dir/$m.json" --steps $k
    out+=", \"${m}_$k\": $(fd "$dir/s.npy" "$dir/heldout.npy")"
  done
done
draw -m "$dir/distill.json"
out+=", \"distill_1\": $(fd "$dir/s.npy" "$dir/heldout.npy")"
# The picture: one digit of each class per row, a row per sampler (same seed): the teacher's 40
# evaluations, its one Euler step, one MeanFlow pass, one shortcut pass, one distilled pass
if [ -n "$pics" ]; then
  mkdir -p "$pics"
  rows=()
  for r in "teacher.json --solver midpoint --steps 20" "teacher.json --solver euler --steps 1" \
           "meanflow.json --steps 1" "shortcut.json --steps 1" "distill.json"; do
    set -- $r
    flow-sample -m "$dir/$1" "${@:2}" --class all -n 1 --seed 9 -q -o "$dir/row${#rows[@]}.npy"
    rows+=("$dir/row${#rows[@]}.npy")
  done
  /usr/bin/python3 - "$dir/rows.npy" "${rows[@]}" <<'PY'
import sys
import numpy as np
xs = [np.load(f) for f in sys.argv[2:]]
with open(sys.argv[1], 'wb') as f:
    np.save(f, np.concatenate(xs))
    np.save(f, np.repeat(np.arange(len(xs)), [len(x) for x in xs]).astype(np.int32))
PY
  flow-plot "$dir/rows.npy" --by-label --scale 5 -q -o "$pics/fewstep-digits.png" \
    --title "rows: teacher 40 passes, teacher 1, MeanFlow 1, shortcut 1, distilled 1"
  # Quality against evaluations, a line per method: rows (log2 evaluations, FD), labelled
  echo "$out}}" | /usr/bin/python3 -c '
import json, math, sys
import numpy as np
d = json.load(sys.stdin)["digits"]
lines = [[("teacher_euler_1", 1), ("teacher_midpoint_2", 4), ("teacher_midpoint_4", 8), ("teacher_midpoint_20", 40)],
         [("meanflow_%d" % k, k) for k in (1, 2, 4)], [("shortcut_%d" % k, k) for k in (1, 2, 4)],
         [("distill_1", 1)]]
rows = [(math.log2(e), d[key]["fd"], i) for i, line in enumerate(lines) for key, e in line]
with open(sys.argv[1], "wb") as f:
    np.save(f, np.array([r[:2] for r in rows], dtype=np.float32))
    np.save(f, np.array([r[2] for r in rows], dtype=np.int32))' "$dir/quality.npy"
  flow-plot "$dir/quality.npy" --kind lines --legend "flow-matching teacher,MeanFlow,shortcut,distilled" -q \
    --xlabel "log2 network evaluations per sample" --ylabel "Frechet distance to held-out digits" \
    --title "8x8 digits: quality against evaluations" -o "$pics/fewstep-quality.png"
fi
echo "$out}}"
