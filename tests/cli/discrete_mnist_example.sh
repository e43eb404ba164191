#!/usr/bin/env bash
# share/examples/discrete-mnist.sh in quick mode: a tiny class-conditional token U-Net trains on
# the shipped MNIST training digits at 16 grey levels, draws its grids (one row per digit) and
# trajectories, and reports kNN accuracies and the held-out ELBO in bits per pixel. The report's
# accuracies must be the share that an independent numpy 5-nearest-neighbour vote gives on the
# example's own samples, and its ELBO must lie between 0 and what an untrained network gives
# (a quick model is near chance; the full run's figures are in README.md).
source "$FLOWKIT_SRC/tests/cli/lib.sh"

sh_ok "bash '$FLOWKIT_SRC/share/examples/discrete-mnist.sh' --quick out > report.txt"
cat report.txt

for p in discrete-mnist-w1 discrete-mnist-w3 discrete-mnist-traj; do
  check "[ \"\$(head -c 4 out/$p.png | tail -c 3)\" = PNG ]" "$p.png is not a PNG"
done

# The grid: 10 token images of each digit 0..9 at 28x28 and 16 levels, labelled
digit_grid out/grid-w3.npy "assert x.dtype == np.int32 and x.min() >= 0 and x.max() <= 15, (x.dtype, x.min(), x.max())"
knn_report report.txt out 1 3

# Bits per pixel (16 levels): an untrained network's ELBO is far above log2 16 = 4 (measured
# 15 after one step), 150 quick steps reach 2.4 (measured), so below 4 means it learned
bits=$(sed -n 's/^ELBO of the 1,000 held-out digits: \([0-9.eE+-]*\) .*/\1/p' report.txt)
check "awk -v b='$bits' 'BEGIN { exit !(b ~ /^[0-9.eE+-]+$/ && b > 0 && b < 4) }'" "bits per pixel: '$bits'"
finish
