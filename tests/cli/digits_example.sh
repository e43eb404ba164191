#!/usr/bin/env bash
# share/examples/digits.sh in quick mode: it runs, draws its grids, and its models learn: the
# kNN accuracy on the intended class is at least 0.6 at W = 2 (quick mode measured 0.84-0.86;
# chance is 0.1), guidance raises it (W = 2 above W = 1 by 0.1 or more; measured 0.54 at W = 1),
# and the held-out bits per dimension of both models lie in (0, 8) (measured 6.9-7.0 with the
# 8-bit dequantization; a uniform density on [0, 1]^64 gives exactly 8).
source "$FLOWKIT_SRC/tests/cli/lib.sh"

sh_ok "FLOWKIT_QUICK=1 bash '$FLOWKIT_SRC/share/examples/digits.sh' out > report.txt"
cat report.txt

# The pictures: PNG files (signature bytes).
for p in digits-conditional digits-unconditional digits-guidance-w1 digits-guidance-w3; do
  check "[ \"\$(head -c 4 out/$p.png | tail -c 3)\" = PNG ]" "$p.png is not a PNG"
done

# The grid holds 10 samples of each digit 0..9, labelled in its companion array.
sh_ok "$PYTHON -c \"
import numpy as np
f = open('out/grid-conditional.npy', 'rb'); x = np.load(f); y = np.load(f)
assert x.shape == (100, 8, 8), x.shape
assert sorted(np.bincount(y.astype(int), minlength=10)) == [10] * 10, y
\""

# One accuracy in [0, 1] per guidance weight; the real digits classify well; the model learned
for w in 1 1.5 2 3 4; do
  acc=$(awk -v w="$w" '$1 == w { print $2 }' report.txt)
  check "awk -v a='$acc' 'BEGIN { exit !(a != \"\" && a >= 0 && a <= 1) }'" "accuracy for W = $w: '$acc'"
done
real=$(awk '$1 == "real" { print $2 }' report.txt)
check "awk -v a='$real' 'BEGIN { exit !(a > 0.9 && a <= 1) }'" "kNN accuracy on real digits: '$real'"
check "grep -q '^default guidance W = ' report.txt" "no default guidance weight printed"
acc1=$(awk '$1 == "1" { print $2 }' report.txt) acc2=$(awk '$1 == "2" { print $2 }' report.txt)
check "awk -v a='$acc2' 'BEGIN { exit !(a >= 0.6) }'" "kNN accuracy at W = 2 is $acc2, want at least 0.6"
check "awk -v a='$acc1' -v b='$acc2' 'BEGIN { exit !(b >= a + 0.1) }'" "guidance does not help: W = 1 $acc1, W = 2 $acc2"

# Bits per dimension of both models in a sane band
for m in conditional unconditional; do
  bpd=$(awk -v m="$m" '$1 == m { print $2 }' report.txt)
  check "awk -v b='$bpd' 'BEGIN { exit !(b ~ /^[0-9.eE+-]+$/ && b > 0 && b < 8) }'" "bpd of $m: '$bpd', want in (0, 8)"
done

finish
