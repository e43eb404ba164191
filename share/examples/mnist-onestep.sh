#!/usr/bin/env bash
# MNIST in one network pass: a class-conditional shortcut U-Net (flow-train --objective
# shortcut, guidance W = 2 trained in; --meanflow: a MeanFlow U-Net instead) on the 9,000
# training digits flowkit ships. Draws a 10 x 10 grid (one row per digit) with one
# average-velocity step from noise, and prints, for 500 one-step samples (50 per class)
# against the held-out digits as share/examples/cost-quality.sh splits them (500 real digits
# against the other 500: the floor): the kNN agreement (a 5-nearest-neighbour vote on the
# held-out digits names the requested digit) and the Frechet distance in flow-eval's 128 fixed
# random features; then the seconds to draw 10,000 guided digits in one pass each.
# Usage: bash share/examples/mnist-onestep.sh [--quick] [--meanflow] [OUTDIR]
#   (default OUTDIR: mnist-onestep)
#   --quick (or FLOWKIT_QUICK=1): a tiny U-Net, 200 steps and 1,000 digits timed, well under a
#   minute (the test).
#   --meanflow: MeanFlow's objective instead (its JVP through the U-Net, the paper's times and
#   adaptive weights, two time frequencies: doc/MATH.md "MeanFlow"). The shortcut model is the
#   default: one step gave FD 0.665 against MeanFlow's 0.748 at the same budget, in two thirds
#   of the training time (README.md, "Fewer network evaluations").
# Budget of the full run on 2 cores: the training, 6,000 steps of batch 64 (MF_STEPS), about
# 28 minutes for the shortcut model and 41 for MeanFlow on a 2-vCPU AVX2 AMD EPYC. A model
# already in OUTDIR is reused.
set -euo pipefail
# The programs: $FLOWKIT_BIN, else PATH, else this tree's build/bin
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${FLOWKIT_BIN:-}" ]; then export PATH="$FLOWKIT_BIN:$PATH"
elif ! command -v flow-train >/dev/null && [ -d "$root/build/bin" ]; then export PATH="$root/build/bin:$PATH"; fi

quick=${FLOWKIT_QUICK:-0}
objective=(--objective shortcut)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --meanflow) objective=(--objective meanflow --t-dist meanflow) ;;
    -*) echo "mnist-onestep.sh: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
out=${1:-mnist-onestep}
mkdir -p "$out"
cd "$out"

# The network is the cost-quality table's teacher's (16, 32 and 64 channels, embedding 32);
# the shortcut model's defaults (a quarter of self-consistency points, uniform times), or
# MeanFlow's paper settings (its time distribution, adaptive weights, 25% of pairs with r < t)
# and two time frequencies, the MeanFlow U-Net's default (doc/MATH.md, "MeanFlow").
if [ "$quick" = 1 ]; then
  train=(--channels 8,16 --groups 4 --embed 16 --batch 32 --steps "${MF_STEPS:-200}" --warmup 10)
  timed=1000  # the test: the pipeline and its figures, not the quality of 200 steps
else
  train=(--channels 16,32,64 --groups 8 --embed 32 --batch 64 --steps "${MF_STEPS:-6000}" --warmup 100)
  timed=10000
fi

flow-data mnist --part train -o train.npy
flow-data mnist --part heldout -o heldout.npy
if [ -f model.json ]; then echo "mnist-onestep: reusing model.json"; else
  t0=$SECONDS
  flow-train train.npy --net unet --blocks 1 "${train[@]}" --lr 0.002 --conditional --cond-drop 0.1 --dequantize \
    "${objective[@]}" --mf-guidance 2 --seed 1 -q --log train.log -o model.json
  echo "mnist-onestep: trained model.json in $((SECONDS - t0)) s (${train[*]})"
fi

# The grid: one pass per digit
flow-sample -m model.json --class all -n 10 --steps 1 --seed 3 -q -o grid.npy --png mnist-onestep.png

# Quality of 500 one-step digits against the held-out ones, beside real against real
flow-data split heldout.npy --test-fraction 0.5 --seed 3 --test-output real-a.npy -o real-b.npy
flow-sample -m model.json --class all -n 50 --steps 1 --seed 5 -q -o one.npy
flow-eval compare real-a.npy real-b.npy --metrics knn,fd -o floor.json
flow-eval compare one.npy real-b.npy --metrics knn,fd -o one.json
json_number() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" "$2" | head -n 1; }
echo
echo "500 one-step digits against 500 held-out ones: kNN agreement $(json_number knn_agreement one.json)," \
  "Frechet distance $(json_number fd one.json) (real against real: $(json_number knn_agreement floor.json)," \
  "$(json_number fd floor.json))"

# Time: guided digits in one pass each
t0=$(date +%s.%N)
flow-sample -m model.json --class all -n $((timed / 10)) --steps 1 --seed 6 -q -o /dev/null
echo "$timed guided digits in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s" \
  "(one network pass each)"
echo "mnist-onestep: picture in $out: mnist-onestep.png"
