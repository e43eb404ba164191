# flow-train --dequantize, against the one exact oracle that quantized data have: a fair coin
# in {0, 1} (levels L = 2) has entropy 1 bit, so a model trained on its dequantized points
# (uniform on [0, 2)) has bits per dimension >= 1 and near it, and its samples fill both bins.
# The same model trained on the raw points piles its samples on 0 and 1 instead (the spikes
# that made an MNIST model's held-out figure -1.03 bits, below the bound of 0).
source "$FLOWKIT_SRC/tests/cli/lib.sh"

$PYTHON -c "
import numpy as np
r = np.random.default_rng(7)
np.save('coin.npy', r.integers(0, 2, (4000, 1)).astype(np.float32))"
net="--width 64 --depth 2 --batch 256 --lr 0.005 --warmup 20 --steps 1500 --threads 1 --seed 1 -q"
run="--threads 1 -q"

ok flow-train coin.npy $net --dequantize -o deq.json
ok flow-train coin.npy $net -o raw.json
check "$PYTHON -c \"import json, sys; t = json.load(open('deq.json'))['training']; sys.exit(t['dequantize'] != 2 or t['levels'] != 2)\"" \
  "plain --dequantize finds the two levels of the coin and records them"

# inner FILE: the fraction of samples inside the bins, away from their edges: (0.2, 0.8) and
# (1.2, 1.8) hold 0.6 of the dequantized coin
inner() { $PYTHON -c "
import numpy as np, sys
x = np.load(sys.argv[1]).ravel()
print(np.mean(((x > 0.2) & (x < 0.8)) | ((x > 1.2) & (x < 1.8))))" "$1"; }
within() { check "awk -v v='$2' 'BEGIN { exit !(v ~ /^[0-9.eE+-]+\$/ && v > $3 && v < $4) }'" "$1: $2, want in ($3, $4)"; }

for m in deq raw; do ok flow-sample -m $m.json -n 4000 --solver rk4 --steps 50 --seed 2 $run -o $m-samples.npy; done
within "dequantized model: fraction of samples inside the bins (0.6 exact)" "$(inner deq-samples.npy)" 0.45 0.75
within "raw model: fraction of samples inside the bins (spikes at 0 and 1)" "$(inner raw-samples.npy)" 0 0.3

# Bits per dimension of 1000 coin flips: the entropy is 1 bit; a model is above it (by its
# cross-entropy) and the integration error is small against the margins
ok flow-eval logp -m deq.json coin.npy --bpd --dequantize --summary --solver dopri5 --seed 3 $run -o bpd.json
bpd=$($PYTHON -c "import json; print(json.load(open('bpd.json'))['mean'])")
within "dequantized model: bits per dimension of the coin (entropy 1)" "$bpd" 0.97 1.3

# A fair 3-level die, values k / 2 in {0, 0.5, 1}: entropy log2 3 = 1.585 bits. The coin cannot
# tell L from L - 1 (log 1 = 0); here the change of scale is log2(L - 1) = 1 bit, so a figure
# that used L (log2 3) or dropped the term would miss by 0.58 or 1 bit
$PYTHON -c "
import numpy as np
r = np.random.default_rng(8)
np.save('die.npy', (r.integers(0, 3, (4000, 1)) / 2).astype(np.float32))"
ok flow-train die.npy $net --dequantize -o die.json
check "$PYTHON -c \"import json, sys; sys.exit(json.load(open('die.json'))['training']['levels'] != 3)\"" \
  "plain --dequantize finds the three levels of the die"
ok flow-eval logp -m die.json die.npy --bpd --dequantize --summary --solver dopri5 --seed 3 $run -o die-bpd.json
bpd=$($PYTHON -c "import json; print(json.load(open('die-bpd.json'))['mean'])")
within "dequantized model: bits per dimension of the 3-level die (entropy 1.585)" "$bpd" 1.55 1.9

finish

# Explicit levels must hold the data's grid, in training and in logp (the die's values k / 2 are
# on the grids of 3, 5, 7, ... levels, not on 2 or 4: a figure at 4 levels meant nothing)
bad 2 "--dequantize=4: the training data are on the grid of 3 levels, not on that of 4" \
  flow-train die.npy $net --dequantize=4 -o x.json
bad 1 "--dequantize with 2 levels: the points .* are on the grid of 3 levels; give --dequantize=3" \
  flow-eval logp -m die.json die.npy --bpd --dequantize=2 --summary -o x.json
ok flow-eval logp -m die.json die.npy --bpd --dequantize=5 --summary --steps 4 -o x5.json
