# Discrete models from the command line: the exact token table (share/models/discrete-table.json,
# L = 2, V = 5, entropy 2.5336 nats) sampled by flow-sample (chi-square against the table,
# bit-identical across thread counts) and flow-traj, its ELBO by flow-eval elbo (on the entropy
# within its standard error), and bad token data or mixed-up models as one clear error each.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models"
D="$M/discrete-table.json"

ok flow-sample -m "$D" -n 20000 --steps 500 --seed 3 -o s.npy
ok flow-sample -m "$D" -n 3000 --steps 50 --seed 3 --threads 1 -o t1.npy
ok flow-sample -m "$D" -n 3000 --steps 50 --seed 3 --threads 2 -o t2.npy
check 'cmp -s t1.npy t2.npy' "discrete samples differ between thread counts"
# Integer tokens (n, 2) whose cells pass Pearson's chi-square against the table (0.1% level,
# 17 degrees of freedom: 40.8), under 0.1% of them in its empty cells (two tokens that jump
# in one step move independently: an O(h) error, doc/MATH.md)
sh_ok "$PYTHON - <<'PY'
import json, numpy as np
x = np.load('s.npy'); t = np.array(json.load(open('$D'))['table']).ravel()
assert x.dtype == np.int32 and x.shape == (20000, 2), (x.dtype, x.shape)
c = np.bincount(x[:, 0] * 5 + x[:, 1], minlength=25); e = t * len(x)
assert c[e == 0].sum() < 0.001 * len(x), c[e == 0].sum()
chi2 = (((c - e) ** 2)[e > 0] / e[e > 0]).sum()
assert chi2 < 40.8, chi2
PY"
# The ELBO of the exact table on its own samples sits on the entropy
ok flow-eval elbo -m "$D" s.npy --strata 32 --seed 1 -o elbo.json
sh_ok "$PYTHON - <<'PY'
import json, math
e = json.load(open('elbo.json'))
assert e['n'] == 20000 and e['length'] == 2 and e['vocab'] == 5, e
assert abs(e['elbo_nats'] - 2.5335989) < 3 * e['elbo_nats_stderr'] + 1e-3, e
assert e['elbo_nats_stderr'] < 0.03, e
assert abs(e['bits_per_token'] - e['elbo_nats'] / 2 / math.log(2)) < 1e-9, e
PY"
# Sequences the model gives probability 0 (the table's empty cells (0, 2) and (1, 3)) have an
# ELBO of +inf: counted apart (n_inf) with a warning, the figures over the others (exact draws
# from the table: on the entropy again); before, a clamped log 0 added hundreds of nats each
sh_ok "$PYTHON - <<'PY'
import json, numpy as np
t = np.array(json.load(open('$D'))['table']).ravel()
c = np.random.default_rng(7).choice(25, size=4000, p=t / t.sum())
x = np.concatenate([np.stack([c // 5, c % 5], 1), [[0, 2]] * 3 + [[1, 3]] * 2]).astype(np.int32)
np.save('outside.npy', x)
PY"
sh_ok "flow-eval elbo -m '$D' outside.npy --strata 32 --seed 1 -o outside.json 2>outside.err"
check 'grep -qx "flow-eval: warning: 5 of 4005 sequences have probability 0 under the model (an ELBO of +inf): the figures are over the other 4000" outside.err' \
  "no warning of the +inf sequences: $(cat outside.err)"
sh_ok "$PYTHON - <<'PY'
import json
e = json.load(open('outside.json'))
assert e['n'] == 4005 and e['n_inf'] == 5, e
assert abs(e['elbo_nats'] - 2.5335989) < 3 * e['elbo_nats_stderr'] + 1e-3 and e['elbo_nats_stderr'] < 0.06, e
PY"
# CSV of whole numbers reads as tokens
ok flow-sample -m "$D" -n 50 --steps 20 -f csv -o s.csv
ok flow-eval elbo -m "$D" s.csv --strata 2
# The trajectory: (T, n, 2) integers from all MASK (token 5) to data tokens, with its times
ok flow-traj -m "$D" -n 100 --steps 10 --every 5 -o traj.npy
sh_ok "$PYTHON - <<'PY'
import numpy as np
f = open('traj.npy', 'rb'); x = np.load(f); t = np.load(f)
assert x.dtype == np.int32 and x.shape == (3, 100, 2), x.shape
assert (x[0] == 5).all() and (x[-1] < 5).all() and list(t) == [0, 0.5, 1], (x[0], t)
PY"

# Bad token data: one line each, nothing written
$PYTHON -c "
import numpy as np
np.save('float.npy', np.zeros((4, 2), np.float32))
np.save('big.npy', np.array([[1, 7], [0, 0]], np.int64))
np.save('huge.npy', np.array([[70000, 1]], np.int32))
np.save('three.npy', np.zeros((4, 3), np.int16))
np.save('neg.npy', np.array([[-1, 1]], np.int8))"
bad 1 "a float array given as tokens \(float.npy, dtype '<f4'\)" flow-eval elbo -m "$D" float.npy
bad 1 "token 7 outside the vocabulary 0..4 \(big.npy, sequence 0, position 1\)" flow-eval elbo -m "$D" big.npy
bad 1 "token 70000 is beyond the largest vocabulary, 2\^16 = 65536 tokens" flow-eval elbo -m "$D" huge.npy
bad 1 "the data's sequences have 3 tokens, the model's 2" flow-eval elbo -m "$D" three.npy
bad 1 "value -1.* is not a token" flow-eval elbo -m "$D" neg.npy
printf '1,2\n0.5,1\n' >frac.csv
bad 1 "value 0.5.* is not a token" flow-eval elbo -m "$D" frac.csv
# A discrete model where a flow is needed, and the other way round
bad 1 "a discrete model \(of tokens\), where a flow of points is needed" flow-eval logp -m "$D" s.npy
bad 1 "a flow of points, where a discrete model \(of tokens\) is needed" flow-eval elbo -m "$M/gmm8.json" s.npy
# Flags of the continuous solvers, and bad values
bad 2 "--solver does not apply to the discrete model" flow-sample -m "$D" --solver rk4
bad 2 "--class needs a class-conditional model, and .*discrete-table.json \(.*\) is not" flow-sample -m "$D" --class 1
bad 2 "--guidance needs a class-conditional model" flow-sample -m "$D" --guidance 2
bad 2 "--corrector must be a number >= 0" flow-sample -m "$D" --corrector -1
bad 2 "--strata must be 1..10000, got 0" flow-eval elbo -m "$D" s.npy --strata 0
sed 's/"vocab": 5/"vocab": 70000/' "$D" >v.json
bad 1 "v.json: \"vocab\" must be an integer in 1..65536" flow-sample -m v.json
sed 's/"source": "mask"/"source": "gauss"/' "$D" >g.json
bad 1 "g.json: unknown source 'gauss'; one of mask, uniform" flow-sample -m g.json
# flow-data --levels: the checkerboard on a 128 x 128 grid fills exactly its 8,192 cells
ok flow-data checkerboard -n 200000 --levels 128 --seed 1 -o cb.npy
sh_ok "$PYTHON - <<'PY'
import numpy as np
x = np.load('cb.npy')
assert x.dtype == np.int32 and x.shape == (200000, 2) and x.min() == 0 and x.max() == 127, (x.dtype, x.shape)
assert len(set(map(tuple, x))) == 8192
assert ((x[:, 0] // 32 + x[:, 1] // 32) % 2 == 0).all(), 'a token outside the filled squares'
PY"
bad 2 "--levels must be 2..65536, got 1" flow-data moons --levels 1
bad 2 "--range of moons needs --levels" flow-data moons --range -2:2
finish
