#!/usr/bin/env bash
# Three ways to parametrize the same flow: a U-Net that predicts the velocity, the noise or the
# data (flow-train --predict), trained alike on the shipped MNIST training digits with the
# tutorial's settings (step 11), then scored on the same held-out digits: bits per dimension
# (8-bit dequantization, dopri5, Hutchinson divergence) and the kNN recognition of guided
# samples, and the Frechet distance of those samples to the held-out digits (flow-eval compare
# --metrics fd) beside the same distance between two parts of the held-out digits. A model converts its prediction to a velocity at the time it ran (doc/MATH.md,
# "Predictions"); the three densities answer the same question, so they should agree closely.
# Usage: bash share/examples/predictions.sh [--quick] [OUTDIR]   (default OUTDIR: predictions)
#   --quick (or FLOWKIT_QUICK=1): tiny U-Nets, 100 steps, a few digits; under a minute.
# Budget of the full run on 2 cores: three trainings of about 5 minutes each, and about
# 3 minutes of density per model. Models already in OUTDIR are reused.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$root/build/bin" ] && export PATH="$root/build/bin:$PATH"

quick=${FLOWKIT_QUICK:-0}
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
out=${1:-predictions}
mkdir -p "$out"
cd "$out"

if [ "$quick" = 1 ]; then
  train=(--channels 8,16 --groups 4 --embed 16 --batch 32 --steps 100 --lr 0.002 --warmup 10)
  logp=(--solver dopri5 --rtol 1e-3 --atol 1e-3) logp_n=8 per_class=2
else
  # tutorial step 11
  train=(--channels 16,32,64 --groups 8 --embed 32 --batch 64 --steps 2000 --lr 0.002 --warmup 100)
  logp=(--solver dopri5 --rtol 1e-4 --atol 1e-4) logp_n=100 per_class=20
fi

flow-data mnist --part train -o train.npy
flow-data mnist --part heldout -o heldout.npy
flow-data split heldout.npy --test-fraction "$(awk -v n="$logp_n" 'BEGIN { print n / 1000 }')" --seed 2 \
  --test-output logp-points.npy -o logp-rest.npy

json_number() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" "$2" | head -n 1; }

# the floor of the Frechet distance: as many real digits as samples, against the rest
flow-data split heldout.npy --test-fraction "$(awk -v n="$per_class" 'BEGIN { print n / 100 }')" --seed 3 \
  --test-output real-a.npy -o real-b.npy
flow-eval compare real-a.npy real-b.npy --metrics fd -o fd-floor.json

printf '%-10s %10s %8s %10s %10s %10s\n' predict "train (s)" bpd stderr "kNN W=3" "FD W=3"
for p in velocity noise data; do
  t0=$SECONDS
  [ -f "$p.json" ] || flow-train train.npy --net unet "${train[@]}" --predict "$p" --dequantize \
    --conditional --cond-drop 0.1 --seed 11 -q -o "$p.json"
  secs=$((SECONDS - t0))
  flow-eval logp -m "$p.json" logp-points.npy --bpd --dequantize=256 --summary "${logp[@]}" \
    --divergence hutchinson --seed 4 -q -o "bpd-$p.json"
  flow-sample -m "$p.json" --class all -n "$per_class" --guidance 3 --solver midpoint --steps 20 \
    --seed 12 -q -o "samples-$p.npy"
  flow-eval compare "samples-$p.npy" real-b.npy --metrics knn,fd -o "knn-$p.json"
  printf '%-10s %10s %8.4f %10.4f %10s %10.3f\n' "$p" "$secs" "$(json_number mean "bpd-$p.json")" \
    "$(json_number stderr "bpd-$p.json")" "$(json_number knn_agreement "knn-$p.json")" \
    "$(json_number fd "knn-$p.json")"
done
printf '%-10s %10s %8s %10s %10s %10.3f\n' "real" - - - - "$(json_number fd fd-floor.json)"
