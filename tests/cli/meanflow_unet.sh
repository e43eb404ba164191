# flow-train --objective meanflow through the U-Net (forward-mode products through its
# convolutions, GroupNorm, SiLU and the time embedding; tests/lib/nn/unet_jvp_test.cpp checks
# them against finite differences): on the 8x8 digits, class-conditional with guidance trained
# in, one network pass draws a guided digit that a 5-nearest-neighbour vote on held-out digits
# recognises; the model file records the U-Net's two times; the same seed gives the same bytes
# and a resumed run is the run; what such a model cannot do is one error line each.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
py() { "$PYTHON" -c "$1"; }

ok flow-data digits -o digits.npy
ok flow-data split digits.npy --test-fraction 0.3 --seed 2 -o train.npy --test-output heldout.npy
net=(--net unet --channels 8,16 --groups 4 --embed 16 --batch 32 --conditional --seed 1 -q)
mf=(--objective meanflow --t-dist meanflow --mf-guidance 2)
ok flow-train train.npy "${net[@]}" "${mf[@]}" --steps 1000 -o mf.json
check 'py "
import json; m = json.load(open(\"mf.json\")); a = m[\"architecture\"]
assert m[\"objective\"] == \"meanflow\" and a[\"kind\"] == \"unet\" and a[\"time_inputs\"] == 2, a
assert a[\"time_freqs\"] == 2, a  # the default for a MeanFlow U-Net: few time frequencies"' \
  "the U-Net MeanFlow model does not record its two times and its 2 time frequencies"

# One guided digit per network pass, recognised as its class (measured: 100% of 500 at one
# step, against 98.8% for the flow-matching teacher of the same size and budget at 40 passes)
ok flow-sample -m mf.json --class all -n 50 --steps 1 --seed 5 --log log.json -o one.npy
check 'grep -q "\"nfe\":1" log.json' "a guided MeanFlow U-Net step is not one evaluation ($(tail -1 log.json))"
acc=$(flow-eval compare one.npy heldout.npy --metrics knn | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["knn_agreement"])')
check 'py "assert $acc >= 0.95"' "one-step MeanFlow U-Net digits: kNN agreement $acc, want at least 0.95"
check 'py "
import numpy as np
f = open(\"one.npy\", \"rb\"); x = np.load(f)
assert x.shape == (500, 8, 8) and np.isfinite(x).all() and -1 < x.mean() < 2, (x.shape, x.mean())"' \
  "one-step MeanFlow U-Net samples are not 500 finite 8x8 images"

# The same seed gives the same bytes; a resumed run is the run
ok flow-train train.npy "${net[@]}" "${mf[@]}" --steps 60 -o a.json
ok flow-train train.npy "${net[@]}" "${mf[@]}" --steps 60 -o b.json
check 'cmp -s a.json b.json' "U-Net MeanFlow training is not reproducible"
ok flow-train train.npy "${net[@]}" "${mf[@]}" --steps 30 --checkpoint-every 30 --checkpoint h.ckpt -o half.json
ok flow-train train.npy --resume h.ckpt --steps 60 -q -o resumed.json
check 'py "
import json; a = json.load(open(\"a.json\")); b = json.load(open(\"resumed.json\"))
assert a[\"weights\"] == b[\"weights\"]"' "a resumed U-Net MeanFlow run differs"

# What it cannot do: one line each
bad 1 "not a flow: it has no exact log density" flow-eval logp -m mf.json heldout.npy
bad 2 "has its guidance trained in" flow-sample -m mf.json --class 1 --guidance 2
ok flow-data mnist --part heldout --levels 2 -o tokens.npy
bad 2 "--objective meanflow does not apply" flow-train tokens.npy --net unet --objective meanflow --steps 1
finish
