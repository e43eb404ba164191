#!/usr/bin/env bash
# share/examples/mnist.sh in quick mode: a tiny class-conditional U-Net trains on the shipped
# MNIST training digits, draws its grids (one row per digit) and trajectories, and reports kNN
# accuracies and held-out bits per dimension within the bounds below (measured in quick mode).
source "$FLOWKIT_SRC/tests/cli/lib.sh"

sh_ok "FLOWKIT_QUICK=1 bash '$FLOWKIT_SRC/share/examples/mnist.sh' out > report.txt"
cat report.txt

# The pictures: PNG files (signature bytes)
for p in mnist-guided mnist-w1 mnist-traj; do
  check "[ \"\$(head -c 4 out/$p.png | tail -c 3)\" = PNG ]" "$p.png is not a PNG"
done

# The grid holds 10 samples of each digit 0..9 at 28x28, labelled in its companion array
digit_grid out/grid.npy "assert np.isfinite(x).all()"

# One accuracy per guidance weight, recomputed from the example's own samples and held-out
# digits (a quick model is near chance, so a bound on the figure itself would say nothing; the
# full run's figures are in README.md)
knn_report report.txt out 1 2

# Bits per dimension (dequantized over 256 levels): an untrained model gives about 9, a uniform
# density on [0, 1] 8; 300 quick steps reach 0.5-3 (measured), so below 6 means it learned
bpd=$(sed -n 's/^bits per dimension of [0-9]* held-out digits: \([0-9.eE+-]*\) .*/\1/p' report.txt)
check "awk -v b='$bpd' 'BEGIN { exit !(b ~ /^[0-9.eE+-]+$/ && b > 0 && b < 6) }'" "bits per dimension: '$bpd'"

finish
