#!/usr/bin/env bash
# MNIST in one network pass, on the 9,000 training digits flowkit ships. By default the
# teacher distilled (rectified flow's distillation, doc/MATH.md "Distillation"): a
# class-conditional flow-matching U-Net (the cost-quality table's teacher: 16, 32 and 64
# channels, 2,000 steps) draws 20,000 digits (2,000 per class) by ab3 on 8 steps of the power:2
# grid at W = 1 and again at W = 3, each with the noise it came from (flow-sample --pairs); two
# students start from the teacher's network (flow-train --init) and learn the map noise -> digit
# at t = 0 (--objective distill), one per guidance weight: a guided digit is one pass. Prints,
# for 500 digits (50 per class) against the held-out digits as share/examples/cost-quality.sh
# splits them (500 real digits against the other 500: the floor), the kNN agreement (a
# 5-nearest-neighbour vote on the held-out digits names the requested digit) and the Frechet
# distance in flow-eval's 128 fixed random features of the teacher's 40 evaluations (midpoint
# 20) and of each student's one pass; then the seconds to draw 10,000 guided digits in one pass
# each, beside the teacher's guided midpoint 20 (80 passes each) on 1,000. Draws a 10 x 10 grid
# (one row per digit) of the guided student's single passes.
# Usage: bash share/examples/mnist-onestep.sh [--quick] [--shortcut | --meanflow] [OUTDIR]
#   (default OUTDIR: mnist-onestep, or mnist-onestep-quick)
#   --quick (or FLOWKIT_QUICK=1): a tiny U-Net, short runs and 1,000 digits timed, well under a
#   minute (the test).
#   --shortcut, --meanflow: one model trained for one pass from scratch instead, guidance W = 2
#   trained in (flow-train --objective shortcut, or MeanFlow's objective: its JVP through the
#   U-Net, the paper's times and adaptive weights, two time frequencies; doc/MATH.md). One step
#   gave FD 0.665 (shortcut) and 0.748 (MeanFlow) at W = 2, in 28 and 41 minutes of training,
#   where a student distilled at W = 2 gives 0.48 (README.md, "Fewer network evaluations").
# Budget of the full run on 2 cores (a 2-vCPU AVX2 AMD EPYC): distillation 22 minutes (teacher
# 3.4, W = 1 pairs and student 8, W = 3 9, scores and times 1.5); measured 2026-12-05: one pass
# at W = 1 FD 0.275 against the teacher's 40 evaluations' 0.258, at W = 3 kNN 97.2%, 10,000
# guided digits in 4.9 s against 391 s by the teacher's guided midpoint 20. The shortcut
# model's 6,000 steps of batch 64 (MF_STEPS) take about 28 minutes, MeanFlow's 41. Models
# already in OUTDIR are reused (a student only if newer than the teacher).
set -euo pipefail
# The programs: $FLOWKIT_BIN, else PATH, else this tree's build/bin
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${FLOWKIT_BIN:-}" ]; then export PATH="$FLOWKIT_BIN:$PATH"
elif ! command -v flow-train >/dev/null && [ -d "$root/build/bin" ]; then export PATH="$root/build/bin:$PATH"; fi

quick=${FLOWKIT_QUICK:-0}
method=distill objective=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --shortcut) method=shortcut objective=(--objective shortcut) ;;
    --meanflow) method=meanflow objective=(--objective meanflow --t-dist meanflow) ;;
    -*) echo "mnist-onestep.sh: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
out=${1:-mnist-onestep$([ "$quick" = 1 ] && echo -quick)}  # a quick run's models are not reused by a full one
mkdir -p "$out"
cd "$out"

# The network is the cost-quality table's teacher's (16, 32 and 64 channels, embedding 32). The
# students keep it (--init) and learn at half the teacher's peak rate; the one-pass models from
# scratch take the shortcut model's defaults (a quarter of self-consistency points, uniform
# times) or MeanFlow's paper settings (its time distribution, adaptive weights, 25% of pairs with
# r < t) and two time frequencies, the MeanFlow U-Net's default (doc/MATH.md, "MeanFlow").
if [ "$quick" = 1 ]; then
  net=(--channels 8,16 --groups 4 --embed 16 --batch 32 --warmup 10)
  teacher_steps=200 student_steps=100 mf_steps=${MF_STEPS:-200} per_class=50
  timed=1000  # the test: the pipeline and its figures, not the quality of a few hundred steps
else
  net=(--channels 16,32,64 --groups 8 --embed 32 --batch 64 --warmup 100)
  teacher_steps=2000 student_steps=4000 mf_steps=${MF_STEPS:-6000} per_class=2000
  timed=10000
fi
unet=(--net unet --blocks 1 "${net[@]}" --lr 0.002 --conditional --seed 1 -q)
pairs_solver=(--solver ab3 --grid power:2 --steps 8)  # 9 evaluations: midpoint 20's quality (README)
# The guided student's weight: at W = 2 the teacher's own digits (midpoint 20) are recognised
# 93.8% of the time, at W = 3 96.8% (the figures below)
guided=3

flow-data mnist --part train -o train.npy
flow-data mnist --part heldout -o heldout.npy
flow-data split heldout.npy --test-fraction 0.5 --seed 3 --test-output real-a.npy -o real-b.npy
flow-eval compare real-a.npy real-b.npy --metrics knn,fd -o floor.json
json_number() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" "$2" | head -n 1; }
# score NAME SAMPLES: one line of kNN agreement and Frechet distance against the held-out digits
score() {
  flow-eval compare "$2" real-b.npy --metrics knn,fd -o score.json
  printf '  %-62s kNN %.3f, FD %.3f\n' "$1" "$(json_number knn_agreement score.json)" "$(json_number fd score.json)"
}
seconds() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

if [ "$method" = distill ]; then
  if [ -f teacher.json ]; then echo "mnist-onestep: reusing teacher.json"; else
    t0=$SECONDS
    flow-train train.npy "${unet[@]}" --steps "$teacher_steps" --cond-drop 0.1 --dequantize -o teacher.json
    echo "mnist-onestep: trained the teacher in $((SECONDS - t0)) s"
  fi
  for w in 1 "$guided"; do
    [ "model-w$w.json" -nt teacher.json ] && { echo "mnist-onestep: reusing model-w$w.json"; continue; }
    t0=$SECONDS
    flow-sample -m teacher.json --class all -n "$per_class" --guidance "$w" "${pairs_solver[@]}" --pairs \
      --seed $((20 + w)) -q -o "pairs-w$w.npy"
    flow-train --pairs "pairs-w$w.npy" --init teacher.json --objective distill --conditional --batch 64 \
      --steps "$student_steps" --lr 0.001 --warmup 10 --seed 1 -q -o "model-w$w.json"
    rm -f "pairs-w$w.npy"
    echo "mnist-onestep: distilled W = $w in $((SECONDS - t0)) s"
  done
  model=model-w$guided.json  # the guided one-pass model
else
  model=model-$method.json
  if [ -f "$model" ]; then echo "mnist-onestep: reusing $model"; else
    t0=$SECONDS
    flow-train train.npy "${unet[@]}" --steps "$mf_steps" --cond-drop 0.1 --dequantize "${objective[@]}" \
      --mf-guidance 2 --log train.log -o "$model"
    echo "mnist-onestep: trained $model in $((SECONDS - t0)) s"
  fi
fi

# The grid: one pass per digit
# (each sampling of the one-pass model logs its passes: grid.log, one.log, timed.log)
flow-sample -m "$model" --class all -n 10 --steps 1 --seed 3 -q --log grid.log -o grid.npy --png mnist-onestep.png

echo
printf '500 digits (50 per class) against 500 held-out ones (real against real: kNN %.3f, FD %.3f):\n' \
  "$(json_number knn_agreement floor.json)" "$(json_number fd floor.json)"
if [ "$method" = distill ]; then
  flow-sample -m teacher.json --class all -n 50 --solver midpoint --steps 20 --seed 5 -q -o teacher.npy
  score "the teacher, midpoint 20 (40 evaluations), W = 1:" teacher.npy
  flow-sample -m model-w1.json --class all -n 50 --seed 5 -q -o one-w1.npy
  score "one pass of the student distilled at W = 1:" one-w1.npy
fi
if [ "$method" = distill ]; then
  flow-sample -m teacher.json --class all -n 50 --guidance "$guided" --solver midpoint --steps 20 --seed 5 -q \
    -o teacher-guided.npy
  score "the teacher, midpoint 20 (80 passes), W = $guided:" teacher-guided.npy
fi
flow-sample -m "$model" --class all -n 50 --steps 1 --seed 5 -q --log one.log -o one.npy
case "$method" in
  distill) name="the student distilled at W = $guided" ;;
  *) name="the $method model, W = 2 trained in" ;;
esac
score "one pass of $name:" one.npy

# Time: guided digits in one pass each, beside the teacher's guided midpoint 20 (80 passes)
t0=$(date +%s.%N)
flow-sample -m "$model" --class all -n $((timed / 10)) --steps 1 --seed 6 -q --log timed.log -o /dev/null
echo "$timed guided digits in $(seconds "$t0") s (one network pass each)"
if [ "$method" = distill ]; then
  t0=$(date +%s.%N)
  flow-sample -m teacher.json --class all -n $((timed / 100)) --guidance "$guided" --solver midpoint --steps 20 --seed 6 -q \
    -o /dev/null
  echo "$((timed / 10)) guided digits by the teacher's midpoint 20 in $(seconds "$t0") s (80 passes each)"
fi
echo "mnist-onestep: picture in $out: mnist-onestep.png"
