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
sh_ok "$PYTHON -c \"
import numpy as np
f = open('out/grid.npy', 'rb'); x = np.load(f); y = np.load(f)
assert x.shape == (100, 28, 28), x.shape
assert sorted(np.bincount(y.astype(int), minlength=10)) == [10] * 10, y
assert np.isfinite(x).all()
\""

# One accuracy per guidance weight, recomputed here from the example's own samples and held-out
# digits by an independent 5-nearest-neighbour vote (numpy; ties go to the smallest digit, as in
# flow-eval): the report must give exactly that share. (A quick model is near chance, so a bound
# on the figure itself would say nothing; the full run's figures are in README.md.)
for w in 1 2; do
  acc=$(awk -v w="$w" '$1 == "W" && $3 == w { print $4 }' report.txt)
  sh_ok "$PYTHON '$FLOWKIT_SRC/tests/cli/knn_vote.py' out/heldout.npy out/guided-$w.npy '$acc'"
done

# Bits per dimension (dequantized over 256 levels): an untrained model gives about 9, a uniform
# density on [0, 1] 8; 300 quick steps reach 0.5-3 (measured), so below 6 means it learned
bpd=$(sed -n 's/^bits per dimension of [0-9]* held-out digits: \([0-9.eE+-]*\) .*/\1/p' report.txt)
check "awk -v b='$bpd' 'BEGIN { exit !(b ~ /^[0-9.eE+-]+$/ && b > 0 && b < 6) }'" "bits per dimension: '$bpd'"

finish
