#!/usr/bin/env bash
# The 8x8 digits end to end: trains a class-conditional model (classifier-free guidance) and an
# unconditional one, draws their grids, and prints, for guidance weights W, the share of
# class-conditional samples that a k-nearest-neighbour classifier fitted on held-out real
# digits assigns to the intended class, and the bits per dimension of the held-out digits.
# Usage: bash share/examples/digits.sh [--quick] [OUTDIR]      (default OUTDIR: digits)
#   --quick (or FLOWKIT_QUICK=1): small models (1500 steps, about 3.5 s of one core each) and few
#   samples, for the tests: kNN accuracy 0.84-0.86 at W = 2 and 0.54 at W = 1 (two seeds).
# Models already in OUTDIR are reused; delete them to train again.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$root/build/bin" ] && export PATH="$root/build/bin:$PATH"

quick=${FLOWKIT_QUICK:-0}
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
out=${1:-digits}
mkdir -p "$out"
cd "$out"

# Settings: the full run trains each model in about 75 s of one core (one thread, so that the
# models and pictures are the same bytes everywhere).
if [ "$quick" = 1 ]; then
  train=(--steps 1500 --batch 128 --width 256 --depth 3 --lr 0.002 --warmup 100 --threads 1)
  per_class=10 sample=(--solver heun --steps 8) logp=(--steps 4 --divergence hutchinson)
  logp_points=0.1
else
  train=(--steps 10000 --batch 256 --width 256 --depth 3 --lr 0.002 --warmup 200 --threads 1)
  per_class=100 sample=(--solver heun --steps 50) logp=(--steps 25)
  logp_points=1
fi
weights=(1 1.5 2 3 4)
default_w=2

# Data: a seeded split; the models train on 80 %, the held-out 20 % scores them.
flow-data digits -o all.npy
flow-data split all.npy --test-fraction 0.2 --seed 1 --test-output heldout.npy -o train.npy
if [ "$logp_points" = 1 ]; then cp heldout.npy logp-points.npy; else
  flow-data split heldout.npy --test-fraction "$logp_points" --seed 2 --test-output logp-points.npy -o logp-rest.npy
fi

# Training (skipped for a model already present).
train_model() {  # NAME [flags]
  local name=$1 t0=$SECONDS
  shift
  if [ -f "$name.json" ]; then echo "digits: reusing $name.json"; return; fi
  flow-train train.npy "${train[@]}" "$@" --seed 1 -q --log "$name.log" -o "$name.json"
  echo "digits: trained $name.json in $((SECONDS - t0)) s (${train[*]} $*)"
}
train_model conditional --conditional --cond-drop 0.15
train_model unconditional

# Grids: one row per digit 0..9 (conditional), and 100 unconditional samples.
flow-sample -m conditional.json --class all -n 10 --guidance "$default_w" "${sample[@]}" --seed 3 \
  -q -o grid-conditional.npy --png digits-conditional.png
flow-sample -m conditional.json --class all -n 10 --guidance 1 "${sample[@]}" --seed 3 \
  -q -o guidance-w1.npy --png digits-guidance-w1.png
flow-sample -m conditional.json --class all -n 10 --guidance 3 "${sample[@]}" --seed 3 \
  -q -o guidance-w3.npy --png digits-guidance-w3.png
flow-sample -m unconditional.json -n 100 "${sample[@]}" --seed 3 -q -o grid-unconditional.npy
flow-plot grid-unconditional.npy --rows 10 -q -o digits-unconditional.png

# json_number KEY FILE: a number from flow-eval's JSON output.
json_number() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" "$2" | head -n 1; }

# Guidance: kNN accuracy of class-conditional samples against held-out real digits.
flow-eval compare train.npy heldout.npy --metrics knn -o knn-real.json
echo
echo "kNN accuracy (k = 5, fitted on the held-out digits), $per_class samples per class:"
printf '  %-8s %s\n' "W" "accuracy"
printf '  %-8s %s\n' "real" "$(json_number knn_agreement knn-real.json)  (training digits, for reference)"
for w in "${weights[@]}"; do
  flow-sample -m conditional.json --class all -n "$per_class" --guidance "$w" "${sample[@]}" \
    --seed 5 -q -o "guided-$w.npy"
  flow-eval compare "guided-$w.npy" heldout.npy --metrics knn -o "knn-$w.json"
  printf '  %-8s %s\n' "$w" "$(json_number knn_agreement "knn-$w.json")"
done
echo "default guidance W = $default_w (digits-conditional.png)"

# Likelihood: bits per dimension of held-out digits (dequantized; the conditional model's
# unconditional field).
echo
echo "bits per dimension of $(flow-data info logp-points.npy | sed -n 's/^count *\([0-9]*\).*/\1/p') held-out digits (dequantized, rk4):"
for m in conditional unconditional; do
  flow-eval logp -m "$m.json" logp-points.npy --bpd --dequantize --summary "${logp[@]}" --seed 4 \
    -q -o "bpd-$m.json"
  printf '  %-14s %s +- %s\n' "$m" "$(json_number mean "bpd-$m.json")" "$(json_number stderr "bpd-$m.json")"
done
echo
echo "digits: pictures in $out: digits-conditional.png digits-unconditional.png" \
  "digits-guidance-w1.png digits-guidance-w3.png"
