#!/usr/bin/env bash
# MNIST end to end with a class-conditional U-Net: trains on the 9,000 training digits that
# flowkit ships (flow-data mnist --part train), draws a 10 x 10 grid (one row per digit) at the
# recommended guidance and at W = 1, the trajectories of a few digits from noise to image, and
# prints how often a 5-nearest-neighbour classifier fitted on the 1,000 held-out digits
# recognises the requested digit, and the held-out bits per dimension (8-bit dequantization).
# Usage: bash share/examples/mnist.sh [--quick] [OUTDIR]      (default OUTDIR: mnist)
#   --quick (or FLOWKIT_QUICK=1): a tiny U-Net (300 steps) and few samples, well under a minute.
# Budget of the full run on 2 cores, most of it training (MNIST_STEPS steps of batch 128; set
# MNIST_STEPS to trade time for quality; flow-train's progress line shows the time left):
# about 95 minutes on an AVX2-only AMD EPYC (0.9 steps/s), about an hour on an AVX-512 Intel
# Xeon (5,000 steps in 44 minutes). Measured (samples by midpoint, 20 steps, before the cheaper
# setting below): kNN accuracy 82% at W = 1 and 97% at W = 2, held-out bits per
# dimension 1.405 (README.md). A model already in OUTDIR is reused; delete it to train again.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$root/build/bin" ] && export PATH="$root/build/bin:$PATH"

quick=${FLOWKIT_QUICK:-0}
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
out=${1:-mnist}
mkdir -p "$out"
cd "$out"

# Settings: the full run's U-Net has three levels (28x28, 14x14 and 7x7) of 32, 64 and 128
# channels; the 7x7 level lets every pixel see the whole digit.
if [ "$quick" = 1 ]; then
  train=(--channels 8,16 --groups 4 --embed 16 --batch 32 --steps "${MNIST_STEPS:-300}" --lr 0.002 --warmup 10)
  per_class=3 sample=(--solver ab3 --grid power:2 --steps 4) logp=(--steps 2 --divergence hutchinson) logp_n=4
else
  train=(--channels 32,64,128 --groups 8 --embed 64 --batch 128 --steps "${MNIST_STEPS:-5000}" --lr 0.002 --warmup 200)
  # the density integral needs adaptive steps: near t = 1 the field contracts each pixel onto
  # its 1/255-wide level within the last hundredth of time; 20 RK4 steps gave -0.31 bits per
  # dimension (below the bound of 0), 80 gave 1.20, dopri5 1.405 at rtol 1e-4 and at 1e-5
  # sampling: 5 evaluations (ab3 on 4 steps of the power:2 grid) are as good as midpoint's 40 in
  # share/examples/cost-quality.sh's table (README.md, "Fewer network evaluations")
  per_class=50 sample=(--solver ab3 --grid power:2 --steps 4) logp=(--solver dopri5 --rtol 1e-4 --atol 1e-4 --divergence hutchinson) logp_n=200
fi
default_w=2

# Data: the fixed split (share/data/README.md); the held-out digits score the model.
flow-data mnist --part train -o train.npy
flow-data mnist --part heldout -o heldout.npy

# Training (skipped when the model is present).
if [ -f model.json ]; then echo "mnist: reusing model.json"; else
  t0=$SECONDS
  flow-train train.npy --net unet --blocks 1 "${train[@]}" --conditional --cond-drop 0.1 --seed 1 -q \
    --dequantize --log train.log -o model.json
  echo "mnist: trained model.json in $((SECONDS - t0)) s (${train[*]})"
fi

# Pictures: one row per digit at the recommended guidance and at W = 1, and trajectories.
flow-sample -m model.json --class all -n 10 --guidance "$default_w" "${sample[@]}" --seed 3 -q \
  -o grid.npy --png mnist-guided.png
flow-sample -m model.json --class all -n 10 --guidance 1 "${sample[@]}" --seed 3 -q \
  -o grid-w1.npy --png mnist-w1.png
flow-traj -m model.json -n 4 --class 7 --guidance "$default_w" "${sample[@]}" --seed 4 -q -o traj.npy
flow-plot traj.npy --rows 4 -q -o mnist-traj.png

# json_number KEY FILE: a number from flow-eval's JSON output.
json_number() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" "$2" | head -n 1; }

# Recognition: kNN (k = 5) fitted on the held-out digits, on fresh guided samples.
echo
echo "kNN accuracy (k = 5, fitted on the 1,000 held-out digits), $per_class samples per class:"
for w in 1 "$default_w"; do
  flow-sample -m model.json --class all -n "$per_class" --guidance "$w" "${sample[@]}" --seed 5 -q -o "guided-$w.npy"
  flow-eval compare "guided-$w.npy" heldout.npy --metrics knn -o "knn-$w.json"
  printf '  W = %-4s %s\n' "$w" "$(json_number knn_agreement "knn-$w.json")"
done
echo "default guidance W = $default_w (mnist-guided.png)"

# Likelihood: bits per dimension of held-out digits (uniform dequantization over 256 levels,
# Hutchinson divergence; the unconditional field of the same model).
flow-data split heldout.npy --test-fraction "$(awk -v n="$logp_n" 'BEGIN { print n / 1000 }')" --seed 2 \
  --test-output logp-points.npy -o logp-rest.npy
flow-eval logp -m model.json logp-points.npy --bpd --dequantize=256 --summary "${logp[@]}" --seed 4 -q -o bpd.json
echo
echo "bits per dimension of $logp_n held-out digits: $(json_number mean bpd.json) +- $(json_number stderr bpd.json)"
echo
echo "mnist: pictures in $out: mnist-guided.png mnist-w1.png mnist-traj.png"
