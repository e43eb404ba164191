# flow-train --net unet on token images: a discrete flow whose network is the U-Net (a learned
# embedding of each grey level in, V logits per pixel out). A tiny one trains on the shipped
# held-out MNIST digits at 4 grey levels: its model file says what it is, its loss falls below
# the untrained network's, its samples are token images (n, 28, 28) drawn as a PNG grid, the
# kNN of flow-eval compare works on them; a checkpoint resumes to the bytes of an uninterrupted
# run; bad input (a token >= V, points for the token model and tokens for a point model) is one
# line and no output.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

ok flow-data mnist --part heldout --levels 4 -o digits.npy
check '$PYTHON -c "
import numpy as np
f = open(\"digits.npy\", \"rb\"); x = np.load(f); y = np.load(f)
assert x.shape == (1000, 28, 28) and x.dtype == np.int32 and x.min() == 0 and x.max() == 3, (x.shape, x.dtype)
assert y.shape == (1000,)
"' "flow-data mnist --levels 4: shape, dtype or range"
net="digits.npy --net unet --channels 4,8 --groups 4 --embed 8 --token-embed 3 --batch 16 --conditional --cond-drop 0.2 -q"
ok flow-train $net --steps 60 --lr 0.005 --warmup 5 --threads 1 --seed 2 -o m.json
ok flow-train $net --steps 1 --threads 1 --seed 2 -o untrained.json
check '$PYTHON -c "
import json; m = json.load(open(\"m.json\")); u = json.load(open(\"untrained.json\"))
assert m[\"type\"] == \"discrete\" and m[\"vocab\"] == 4 and m[\"length\"] == 784 and m[\"shape\"] == [28, 28]
assert m[\"source\"] == \"mask\" and m[\"architecture\"][\"kind\"] == \"unet\" and m[\"architecture\"][\"token_embed\"] == 3
w = {t[\"name\"]: t[\"shape\"] for t in m[\"weights\"]}
assert w[\"tok.E\"] == [3, 5] and w[\"out.W\"] == [4, 36] and w[\"in.W\"] == [4, 27], w
# cross-entropy per pixel: an untrained posterior is near uniform (log 4 = 1.39)
assert m[\"training\"][\"final_loss\"] < 0.8 * u[\"training\"][\"final_loss\"], (m[\"training\"], u[\"training\"])
"' "token U-Net model file or its loss"
ok flow-sample -m m.json --class all -n 2 --guidance 2 --steps 8 --seed 3 -o s.npy --png s.png
check '[ "$(head -c 4 s.png | tail -c 3)" = PNG ]' "s.png is not a PNG"
check '$PYTHON -c "
import numpy as np
f = open(\"s.npy\", \"rb\"); x = np.load(f); y = np.load(f)
assert x.shape == (20, 28, 28) and x.dtype == np.int32 and 0 <= x.min() and x.max() <= 3, (x.shape, x.min(), x.max())
assert sorted(y.astype(int).tolist()) == sorted(list(range(10)) * 2)
"' "token U-Net samples: shape, range or labels"
ok flow-traj -m m.json -n 2 --class 1 --steps 8 --every 4 --seed 4 -o traj.npy --png traj.png
check '$PYTHON -c "
import numpy as np
x = np.load(\"traj.npy\"); assert x.shape == (3, 2, 784) and (x[0] == 4).all() and (x[-1] < 4).all(), x.shape
"' "token U-Net trajectory: from all MASK (token 4) to grey levels"
ok flow-eval compare s.npy digits.npy --metrics knn -o knn.json
check '$PYTHON -c "
import json; k = json.load(open(\"knn.json\")); assert 0 <= k[\"knn_agreement\"] <= 1 and k[\"knn_k\"] == 5, k
"' "flow-eval compare --metrics knn on token images"
ok flow-eval elbo -m m.json digits.npy --strata 1 -o elbo.json

# N steps, or N/2 + checkpoint + resume for N/2 more: the same bytes
ok flow-train $net --steps 20 --decay constant --threads 2 -o full.json
ok flow-train $net --steps 10 --decay constant --threads 2 --checkpoint-every 10 --checkpoint half.ckpt -o half.json
ok flow-train digits.npy -q --threads 2 --resume half.ckpt --steps 20 -o resumed.json
check 'cmp -s full.json resumed.json' "the resumed token U-Net run differs from the uninterrupted one"

# Bad input: one line, no output
$PYTHON -c "
import numpy as np
x = np.load('digits.npy')
np.save('five.npy', np.where(np.arange(784).reshape(28, 28) == 100, 4, x[:50]).astype(np.int32))
np.save('grey.npy', (x[:50] / 3).astype(np.float32))"
bad 1 "token 4 outside the vocabulary 0..3" flow-eval elbo -m m.json five.npy
bad 1 "a discrete model \(of tokens\), where a flow of points is needed" flow-eval logp -m m.json grey.npy
ok flow-train grey.npy --net unet --channels 4,8 --groups 4 --embed 8 --batch 16 --steps 2 -q -o points.json
bad 1 "a flow of points, where a discrete model \(of tokens\) is needed" flow-eval elbo -m points.json digits.npy
bad 1 "half.ckpt: a discrete model \(of tokens\), but the data grey.npy are points" \
  flow-train grey.npy -q --resume half.ckpt --steps 20 -o x.json
check '[ ! -e x.json ]' "a refused run wrote its output"
bad 2 "--levels of pixels must be 2..256, got 300" flow-data mnist --levels 300 -o x.npy
check '[ ! -e x.npy ]' "a refused flow-data wrote its output"
bad 2 "--token-embed must be in 1..4096, got 0" flow-train digits.npy --net unet --channels 4,8 --groups 4 --token-embed 0 -q -o x.json
finish
