# flow-train on token data: a discrete flow learned from 20,000 draws of the exact token table
# (share/models/discrete-table.json, L = 2, V = 5, 18 cells, entropy 2.5336 nats). Its samples
# must reproduce the table (total variation under 0.04, where the untrained network's is over
# 0.3 and the floor of 20,000 draws about 0.01) and its ELBO must sit on the entropy (a bound:
# not below it by more than 3 standard errors, above it by under 0.15 nats; untrained: over
# log 25 = 3.22). Resuming a checkpoint gives the bytes of an uninterrupted run; the kinds of
# data and model do not mix; flags of points are refused with tokens and the other way round.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
D="$FLOWKIT_SRC/share/models/discrete-table.json"

# Exact draws of the table (numpy's, so that the data do not rest on the sampler under test); the
# ELBO is estimated on the first 5,000
$PYTHON -c "
import json, numpy as np
t = np.array(json.load(open('$D'))['table'], float).ravel()
c = np.random.default_rng(1).choice(25, size=20000, p=t / t.sum())
x = np.stack([c // 5, c % 5], 1).astype(np.int32)
np.save('data.npy', x); np.save('elbo-data.npy', x[:5000])"
net="data.npy --width 64 --batch 256 --lr 5e-3 --warmup 100 -q"
run="$net --threads 1"
ok flow-train $run --steps 1000 --seed 2 -o m.json
ok flow-train $run --steps 1 --seed 2 -o untrained.json
check '$PYTHON -c "
import json; m = json.load(open(\"m.json\"))
assert m[\"type\"] == \"discrete\" and m[\"vocab\"] == 5 and m[\"length\"] == 2, m[\"type\"]
assert m[\"source\"] == \"mask\" and m[\"kappa\"] == \"poly:2\" and m[\"training\"][\"loss\"] == \"ce\", m[\"source\"]
assert [w[\"shape\"] for w in m[\"weights\"]][0] == [64, 2 * 6 + 16] and m[\"weights\"][-2][\"shape\"] == [10, 64]
"' "discrete model file fields"
$PYTHON -c "
import numpy as np
np.save('points.npy', np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32))
np.save('six.npy', np.array([[0, 6]] * 300, np.int32))"
tv() {  # total variation between the samples of model $1 and the table
  flow-sample -m "$1" -n 20000 --steps 100 --seed 5 -o "$1.npy" || return 1
  $PYTHON -c "
import json, numpy as np
x = np.load('$1.npy'); t = np.array(json.load(open('$D'))['table']).ravel()
c = np.bincount(x[:, 0] * 5 + x[:, 1], minlength=25) / len(x)
print(0.5 * np.abs(c - t).sum())"
}
tv_m=$(tv m.json) tv_u=$(tv untrained.json)
check "$PYTHON -c 'assert $tv_m < 0.04 and $tv_u > 0.3'" "total variation to the table: trained $tv_m (< 0.04), untrained $tv_u (> 0.3)"
elbo() { flow-eval elbo -m "$1" elbo-data.npy --strata 16 --seed 3 -o "$1.elbo"; }
ok elbo m.json
ok elbo untrained.json
sh_ok "$PYTHON - <<'PY'
import json, math
e, u = json.load(open('m.json.elbo')), json.load(open('untrained.json.elbo'))
h = 2.5335989
assert e['elbo_nats'] > h - 3 * e['elbo_nats_stderr'] and e['elbo_nats'] < h + 0.15, e
assert u['elbo_nats'] > math.log(25), u
PY"
# The uniform source and the KL loss train too (fewer steps: the ELBO only has to improve)
ok flow-train $run --steps 600 --source uniform --kappa poly:1 --loss kl -o u.json
check '$PYTHON -c "
import json; m = json.load(open(\"u.json\")); assert m[\"source\"] == \"uniform\" and m[\"kappa\"] == \"poly:1\"
assert m[\"training\"][\"loss\"] == \"kl\""' "uniform / kl model fields"
tv_k=$(tv u.json)
check "$PYTHON -c 'assert $tv_k < 0.1'" "uniform source, KL loss: total variation $tv_k"
ok flow-traj -m m.json -n 10 --steps 8 --every 4 -o traj.npy
# The samples of a network do not depend on the thread count (a chunk's products on its thread)
ok flow-sample -m m.json -n 5000 --steps 20 --threads 1 -o t1.npy
ok flow-sample -m m.json -n 5000 --steps 20 --threads 2 -o t2.npy
check 'cmp -s t1.npy t2.npy' "a discrete network's samples differ between 1 and 2 threads"

# flow-eval compare on tokens: the joint histograms' TV and KL, as numpy computes them
ok flow-eval compare m.json.npy data.npy -o cmp.json
sh_ok "$PYTHON - <<'PY'
import json, numpy as np
c = json.load(open('cmp.json'))
a, b = np.load('m.json.npy'), np.load('data.npy')
pa = np.bincount(a[:, 0] * 5 + a[:, 1], minlength=25) / len(a)
pb = np.bincount(b[:, 0] * 5 + b[:, 1], minlength=25) / len(b)
both = (pa > 0) & (pb > 0)
assert c['histogram'] == 'joint' and c['cells'] == 25 and c['vocab'] == 5 and c['length'] == 2, c
assert abs(c['tv'] - 0.5 * np.abs(pa - pb).sum()) < 1e-12, c
kl = (pa[both] * np.log(pa[both] / pb[both])).sum()
assert (c['kl_a_b'] is None) == (pa[pb == 0].sum() > 0), c
assert c['kl_a_b'] is None or abs(c['kl_a_b'] - kl) < 1e-12, (c, kl)
assert abs(c['a_outside_b'] - pa[pb == 0].sum()) < 1e-12, c
PY"
bad 1 "m.json.npy holds tokens \(integers\) and points.npy points" flow-eval compare m.json.npy points.npy

# Threads, and N steps + checkpoint + resume for N more, byte for byte
short="$net --steps 100 --decay constant --threads 2"
ok flow-train $short -o full.json
ok flow-train $run --steps 100 --decay constant -o one.json
check '! cmp -s full.json one.json' "one and two threads gave the same bytes (the shards should differ)"
# The shards fix the bits: two shards on one thread are the bytes of two threads
ok flow-train $run --steps 100 --decay constant --shards 2 -o shards.json
check 'cmp -s full.json shards.json' "two shards on one thread differ from two threads"
ok flow-train $net --steps 50 --decay constant --threads 2 --checkpoint-every 50 --checkpoint half.ckpt -o half.json
ok flow-train data.npy -q --threads 2 --resume half.ckpt --steps 100 -o resumed.json
check 'cmp -s full.json resumed.json' "the resumed discrete run differs from the uninterrupted one"

# Labels (the companion array) train a class-conditional discrete model; it samples with the
# null label
$PYTHON -c "
import numpy as np
x = np.load('data.npy'); f = open('labelled.npy', 'wb'); np.save(f, x); np.save(f, (x[:, 0] % 2).astype(np.int32))"
ok flow-train labelled.npy --width 64 --batch 256 -q --threads 1 --steps 50 --conditional -o cond.json
check '$PYTHON -c "import json; assert json.load(open(\"cond.json\"))[\"architecture\"][\"num_classes\"] == 2"' \
  "conditional discrete model: num_classes"
ok flow-sample -m cond.json -n 10 --steps 10 -o cs.npy
# Damaged discrete model files: one line naming the file and the field
sed 's/"kappa": "poly:2"/"kappa": "poly:x"/' m.json >bk.json
bad 1 "bk.json: bad schedule 'poly:x'" flow-sample -m bk.json -n 3
sed 's/"vocab": 5/"vocab": 6/' m.json >bv.json
bad 1 "bv.json: tensor 'in.W' has shape \[64,28\], expected \[64,30\]" flow-sample -m bv.json -n 3
sed 's/"source": "mask"/"source": "gauss"/' m.json >bs.json
bad 1 "bs.json: unknown source 'gauss'" flow-sample -m bs.json -n 3

# Kinds that do not mix, and flags that do not apply: one line each, nothing written
bad 1 "half.ckpt: a discrete model \(of tokens\), but the data points.npy are points" \
  flow-train points.npy -q --resume half.ckpt --steps 300 -o x.json
ok flow-train points.npy -q --steps 2 --batch 64 --width 8 -o p.json
ok flow-train points.npy -q --steps 2 --batch 64 --width 8 --checkpoint-every 2 --checkpoint p.ckpt -o p.json
bad 1 "p.ckpt: a flow of points, but the data data.npy are tokens" flow-train data.npy -q --resume p.ckpt -o x.json
bad 1 "a flow of points, where a discrete model \(of tokens\) is needed" flow-eval elbo -m p.json data.npy
bad 1 "a discrete model \(of tokens\), where a flow of points is needed" flow-eval logp -m m.json points.npy
bad 1 "token 6 outside the vocabulary 0..4" flow-eval elbo -m m.json six.npy
bad 1 "token 6 outside the vocabulary 0..4 \(six.npy" flow-train six.npy --vocab 5 -q --steps 2 -o x.json
for flag in "--schedule cosine" "--predict data" "--sigma-min 0.1" "--coupling ot" "--manifold sphere" \
  "--dequantize" "--val-fraction 0.1"; do
  bad 2 "${flag%% *} does not apply to token data \(data.npy: a discrete flow\)" flow-train data.npy $flag -q -o x.json
done
bad 2 "--net unet needs images \(n, H, W\) or \(n, H, W, C\); the data's samples have shape \(2\)" \
  flow-train data.npy --net unet -q -o x.json
bad 2 "--token-embed is for --net unet" flow-train data.npy --token-embed 4 -q -o x.json
bad 2 "--token-embed applies to token data only" flow-train points.npy --token-embed 4 -q -o x.json
for flag in "--kappa poly:1" "--loss kl" "--vocab 5"; do
  bad 2 "${flag%% *} applies to token data only" flow-train points.npy $flag -q -o x.json
done
bad 2 "unknown source 'gauss'" flow-train data.npy --source gauss -q -o x.json
bad 2 "unknown loss 'mse'" flow-train data.npy --loss mse -q -o x.json
bad 1 "only learned models have a safetensors form" flow-train $run --steps 2 -o m.safetensors
check '[ ! -e x.json ] && [ ! -e m.safetensors ]' "a refused run wrote a file"
finish
