# flow-eval: log densities of an exact mixture model against the closed form, field values,
# sample-quality numbers with known answers, path statistics, determinism.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

printf '{"format": "flowkit-model", "version": 1, "type": "gmm", "schedule": "cosine",
  "weights": [0.3, 0.7], "means": [[-2, 0.5], [1.5, -1]], "variances": [[0.3, 0.2], [0.5, 0.4]]}' >two.json

# Exact mixture log density and score of two.json at time t (numpy), for rows x of a file
cat >oracle.py <<'PY'
import json, sys, numpy as np
m = json.load(open("two.json")); w = np.array(m["weights"]); mu = np.array(m["means"]); S = np.array(m["variances"])
def parts(x, t):
    a, b = np.sin(np.pi * t / 2), np.cos(np.pi * t / 2)
    C = a * a * S + b * b
    lk = np.log(w) - 0.5 * np.log(2 * np.pi * C).sum(1) - 0.5 * (((x[:, None, :] - a * mu) ** 2) / C).sum(2)
    lse = np.logaddexp.reduce(lk, axis=1)
    r = np.exp(lk - lse[:, None])
    s = (r[:, :, None] * (-(x[:, None, :] - a * mu) / C)).sum(1)
    return lse, s
PY

ok flow-data grid --range -4:4 --size 30 -o grid.npy
ok flow-eval logp -m two.json grid.npy --solver dopri5 --rtol 1e-7 --atol 1e-7 --with-points -o lp.npy
check '/usr/bin/python3 -c "
import numpy as np; exec(open(\"oracle.py\").read())
a = np.load(\"lp.npy\"); g = np.load(\"grid.npy\")
assert a.shape == (900, 3), a.shape
assert np.array_equal(a[:, :2], g)
err = np.abs(a[:, 2] - parts(g.astype(np.float64), 1.0)[0]).mean()
assert err < 1e-3, err"' "logp --with-points: rows (x, y, logp), logp matches the mixture within 1e-3"

# rk4 at 200 steps, plain stream (n, 1); bits per dimension are -logp / (d ln 2)
ok flow-eval logp -m two.json grid.npy --steps 200 -o rk4.npy
ok flow-eval logp -m two.json grid.npy --steps 200 --bpd -o bpd.npy
check '/usr/bin/python3 -c "
import numpy as np; exec(open(\"oracle.py\").read())
a = np.load(\"rk4.npy\"); b = np.load(\"bpd.npy\"); g = np.load(\"grid.npy\").astype(np.float64)
assert a.shape == (900, 1), a.shape
assert np.abs(a[:, 0] - parts(g, 1.0)[0]).mean() < 1e-3
assert np.allclose(b, -a / (2 * np.log(2)), rtol=1e-5)"' "logp rk4 200 steps within 1e-3; --bpd = -logp / (d ln 2)"

# --summary: JSON with the mean, its standard error and the NFE (rk4: 4 per step)
ok flow-eval logp -m two.json grid.npy --steps 50 --summary -o sum.json
check '/usr/bin/python3 -c "
import json, numpy as np; s = json.load(open(\"sum.json\")); a = np.load(\"rk4.npy\")[:, 0]
assert s[\"n\"] == 900 and s[\"nfe\"] == 200 and s[\"unit\"] == \"nats\", s
assert abs(s[\"mean\"] - a.mean()) < 1e-3 and abs(s[\"stderr\"] - a.std(ddof=1) / 30) < 1e-4, s"' "--summary fields"

# Hutchinson: same values for any thread count; the mean over many probes near the exact one
printf '{"format": "flowkit-model", "version": 1, "type": "linear", "A": [[0.2, -1], [0.7, -0.3]]}' >lin.json
ok flow-data grid --range -2:2 --size 70 -o big.npy
ok flow-eval logp -m lin.json big.npy --divergence hutchinson --probes 4 --threads 1 -o h1.npy
ok flow-eval logp -m lin.json big.npy --divergence hutchinson --probes 4 --threads 2 -o h2.npy
ok flow-eval logp -m lin.json big.npy --divergence exact -o ex.npy
check '/usr/bin/python3 -c "
import numpy as np; h = np.load(\"h1.npy\"); e = np.load(\"ex.npy\"); d = h - e
assert d.std() > 1e-3 and abs(d.mean()) < 4 * d.std() / np.sqrt(len(d)), (d.mean(), d.std())"' "hutchinson: noisy, and unbiased against the exact divergence"
check "cmp -s h1.npy h2.npy" "hutchinson values depend on the thread count"

# field: the score against the closed form; --with-points rows (x, value)
ok flow-eval field -m two.json --t 0.5 --what score --with-points grid.npy -o score.npy
check '/usr/bin/python3 -c "
import numpy as np; exec(open(\"oracle.py\").read())
a = np.load(\"score.npy\"); g = np.load(\"grid.npy\").astype(np.float64)
assert a.shape == (900, 4) and np.array_equal(a[:, :2], g)
assert np.abs(a[:, 2:] - parts(g, 0.5)[1]).max() < 1e-3"' "field --what score matches the mixture score"
ok flow-eval field -m two.json --t 0.3 --what noise grid.npy -o noise.npy
ok flow-eval field -m two.json --t 0.3 --what data grid.npy -o data.npy
check '/usr/bin/python3 -c "
import numpy as np
g = np.load(\"grid.npy\"); e = np.load(\"noise.npy\"); d = np.load(\"data.npy\")
a, b = np.sin(np.pi * 0.3 / 2), np.cos(np.pi * 0.3 / 2)
assert np.abs(a * d + b * e - g).max() < 1e-4"' "noise and data predictions recombine to x = a x1 + b x0"

# compare: known answers (shifted copy, permutation, labels)
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(0)
a = r.normal(size=(700, 3)).astype(np.float32)
np.save('a.npy', a); np.save('shift.npy', a + np.float32([0.3, -0.4, 1.2])); np.save('perm.npy', a[r.permutation(700)])
np.save('b.npy', r.normal(size=(700, 3)).astype(np.float32))
lab = (a[:, 0] > 0).astype(np.float32)
with open('la.npy', 'wb') as f: np.save(f, a); np.save(f, lab)
with open('lb.npy', 'wb') as f: np.save(f, a + 0.01); np.save(f, lab)
with open('lc.npy', 'wb') as f: np.save(f, a + 0.01); np.save(f, 1 - lab)
"
ok flow-eval compare a.npy shift.npy -o shift.json
ok flow-eval compare a.npy perm.npy --metrics w2 -o perm.json
ok flow-eval compare a.npy b.npy -o same.json
check '/usr/bin/python3 -c "
import json; s = json.load(open(\"shift.json\")); p = json.load(open(\"perm.json\")); q = json.load(open(\"same.json\"))
assert abs(s[\"w2\"] - 1.3) < 1e-4 and s[\"w2_points\"] == 700, s
assert abs(s[\"mean_error\"] - 1.3) < 1e-4 and s[\"cov_error\"] < 1e-4, s
assert p[\"w2\"] < 1e-6 and set(p) == {\"n_a\", \"n_b\", \"dim\", \"w2\", \"w2_points\"}, p
assert len(s[\"mmd\"]) == 5 and all(x[\"mmd2\"] > 0.01 for x in s[\"mmd\"][1:]), s
assert all(abs(x[\"mmd2\"]) < 0.01 for x in q[\"mmd\"]) and abs(q[\"energy\"]) < 0.02 and s[\"energy\"] > 0.5, q
assert \"knn_agreement\" not in q"' "compare: W2 of a shift, of a permutation; energy/MMD near 0 for one law"
ok flow-eval compare lb.npy la.npy --metrics knn -o knn.json
ok flow-eval compare lc.npy la.npy --metrics knn --knn 3 -o knn2.json
check '/usr/bin/python3 -c "
import json; a = json.load(open(\"knn.json\")); b = json.load(open(\"knn2.json\"))
assert a[\"knn_agreement\"] > 0.97 and b[\"knn_agreement\"] < 0.03, (a, b)"' "kNN label agreement: right labels agree, swapped ones do not"

# Frechet distance: a shift moves only the mean (|0.3, -0.4, 1.2|^2 = 1.69); two draws of one law
# against numpy's Gaussian fits and a symmetric matrix root by eigendecomposition
ok flow-eval compare a.npy shift.npy --metrics fd -o fd-shift.json
ok flow-eval compare a.npy b.npy --metrics fd -o fd-small.json
check '/usr/bin/python3 -c "
import json, numpy as np
s = json.load(open(\"fd-shift.json\")); q = json.load(open(\"fd-small.json\"))
assert abs(s[\"fd\"] - 1.69) < 1e-4 and s[\"fd_features\"] == \"points\", s
a = np.load(\"a.npy\").astype(np.float64); b = np.load(\"b.npy\").astype(np.float64)
def root(m):
    w, v = np.linalg.eigh(m); return v @ np.diag(np.sqrt(np.maximum(w, 0))) @ v.T
sa, sb = np.cov(a.T), np.cov(b.T); r = root(sa)
want = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * np.trace(root(r @ sb @ r))
assert abs(q[\"fd\"] - want) < 1e-6 * max(1, want) and want > 0, (q, want)"' "compare --metrics fd: a shift's squared length; numpy's Gaussian fits"

# Unequal sizes: W2 on a subsample of the larger set
/usr/bin/python3 -c "import numpy as np; np.save('small.npy', np.load('b.npy')[:300])"
ok flow-eval compare a.npy small.npy --metrics w2,sliced -o uneq.json
check '/usr/bin/python3 -c "
import json; s = json.load(open(\"uneq.json\")); assert s[\"w2_points\"] == 300 and s[\"sliced_w2\"] > 0, s"' "unequal sizes"

# paths: straight constant-speed paths have ratio 1 and straightness 1
/usr/bin/python3 -c "
import numpy as np
x0 = np.random.default_rng(1).normal(size=(200, 2)); t = np.linspace(0, 1, 11)
traj = np.stack([x0 + s * np.array([2.0, 0.0]) for s in t]).astype(np.float32)
with open('traj.npy', 'wb') as f: np.save(f, traj); np.save(f, t.astype(np.float32))
"
ok flow-eval paths traj.npy -o paths.json
check '/usr/bin/python3 -c "
import json; p = json.load(open(\"paths.json\"))
assert abs(p[\"path_energy\"] - 4) < 1e-4 and abs(p[\"straightness\"] - 1) < 1e-5 and abs(p[\"energy_ratio\"] - 1) < 1e-4, p"' "paths of a straight flow"
sh_ok 'flow-traj -m two.json -n 100 --steps 10 --solver rk4 | flow-eval paths > p2.json'
# A reverse trajectory (times 1 -> 0) is the same paths read backwards; a point that stays is
# straight (0/0 was scored 0)
/usr/bin/python3 -c "
import numpy as np
f = open('traj.npy', 'rb'); s, t = np.load(f), np.load(f)
with open('rev.npy', 'wb') as g: np.save(g, s[::-1].copy()); np.save(g, t[::-1].copy())
z = np.zeros((3, 4, 2), np.float32); z[:, 1] = 1
np.save('still.npy', z)
"
ok flow-eval paths rev.npy -o rev.json
check '/usr/bin/python3 -c "
import json; p, q = json.load(open(\"paths.json\")), json.load(open(\"rev.json\"))
assert all(abs(p[k] - q[k]) < 1e-6 for k in (\"path_energy\", \"straightness\", \"w2_endpoints\", \"energy_ratio\")), (p, q)"' "a reverse trajectory's figures"
ok flow-eval paths still.npy -o still.json
check '/usr/bin/python3 -c "
import json; p = json.load(open(\"still.json\")); assert p[\"straightness\"] == 1 and p[\"path_energy\"] == 0, p"' "points that stay are straight"
check '/usr/bin/python3 -c "
import json; p = json.load(open(\"p2.json\")); assert p[\"energy_ratio\"] >= 0.99 and 0 < p[\"straightness\"] <= 1, p"' "paths of flow-traj output"
# Flows that leave the float range: u = diag(-120, 0.5) x diverges backwards from every point
# off the line x_1 = 0 (log p = -inf, one line on stderr, status 0); the points on it keep
# their exact log density log N((0, e^-0.5 x_2)) + 119.5. rk4 and dopri5 alike; the heat map
# draws it; the summary counts the -inf points and averages the others.
printf '{"format": "flowkit-model", "version": 1, "type": "linear", "A": [[-120, 0], [0, 0.5]], "b": [0, 0]}' >steep.json
ok flow-data grid --range -6:6 --size 25 -o g25.npy
for solver in rk4 dopri5; do
  checks=$((checks + 1))
  flow-eval logp -m steep.json g25.npy --solver $solver --with-points -o steep-$solver.npy 2>steep-$solver.err ||
    fail "logp of a diverging flow ($solver) exits non-zero: $(cat steep-$solver.err)"
  check '[ "$(wc -l <steep-$solver.err)" = 1 ] && grep -q "warning: 600 of 625 points have log p = -inf" steep-$solver.err' \
    "one line on stderr counts the -inf points ($solver): $(cat steep-$solver.err)"
  check '/usr/bin/python3 -c "
import numpy as np
a = np.load(\"steep-$solver.npy\"); g = np.load(\"g25.npy\")
assert a.shape == (625, 3) and np.array_equal(a[:, :2], g), a.shape
lp = a[:, 2].astype(np.float64); on = g[:, 0] == 0
assert not np.isnan(lp).any() and on.sum() == 25
assert (lp[~on] == -np.inf).all(), lp[~on]
want = -0.5 * (np.exp(-0.5) * g[on, 1]) ** 2 - np.log(2 * np.pi) + 119.5
assert np.abs(lp[on] - want).max() < 1e-3, np.abs(lp[on] - want).max()"' "every row written, -inf off x_1 = 0, exact on it ($solver)"
done
ok flow-plot steep-rk4.npy --heatmap -o steep.png
ok flow-eval logp -m steep.json g25.npy --solver dopri5 --summary -o steep-summary.json
check '/usr/bin/python3 -c "
import json, numpy as np; s = json.load(open(\"steep-summary.json\")); a = np.load(\"steep-rk4.npy\")[:, 2]
assert s[\"n\"] == 625 and s[\"n_inf\"] == 600, s
assert abs(s[\"mean\"] - a[np.isfinite(a)].mean()) < 1e-3, s"' "--summary: n_inf and the mean of the finite points"
printf '{"format": "flowkit-model", "version": 1, "type": "linear", "A": [[120, 0], [0, 120]], "b": [0, 0]}' >up.json
ok flow-sample -m up.json -n 50 --solver dopri5 --logp -o up.npy
check '/usr/bin/python3 -c "
import numpy as np; a = np.load(\"up.npy\"); assert a.shape == (50, 3) and (a[:, 2] == -np.inf).all() and not np.isnan(a).any(), a[:3]"' \
  "flow-sample --logp: a diverging flow gives -inf, never NaN"
# --dequantize: flow-train records the levels of quantized data (the digits: k / 16, 17
# levels); plain --dequantize takes them, --dequantize=L overrides, a model without them is a
# usage error.
ok flow-data digits -o digits.npy
ok flow-train digits.npy --steps 20 --batch 64 --width 16 --depth 1 --threads 1 -q -o dig.json
check '/usr/bin/python3 -c "
import json; m = json.load(open(\"dig.json\")); assert m[\"training\"][\"levels\"] == 17, m[\"training\"]"' "flow-train records 17 levels for the digits"
/usr/bin/python3 -c "import numpy as np; np.save('d50.npy', np.load('digits.npy')[:50])"
ok flow-eval logp -m dig.json d50.npy --steps 4 --bpd --dequantize --summary -o deq.json
ok flow-eval logp -m dig.json d50.npy --steps 4 --bpd --dequantize=17 --summary -o deq17.json
ok flow-eval logp -m dig.json d50.npy --steps 4 --bpd --dequantize=33 --summary -o deq33.json
check 'cmp -s deq.json deq17.json' "--dequantize takes the model's 17 levels"
check '! cmp -s deq.json deq33.json' "--dequantize=33 (a finer grid holding the 17 levels) is another figure"
# Levels whose grid does not hold the data's are refused (256: k / 16 is no k' / 255)
bad 1 "are on the grid of 17 levels; give --dequantize=17" flow-eval logp -m dig.json d50.npy --steps 4 --bpd --dequantize=256 --summary -o x.json
bad 2 "records no levels" flow-eval logp -m two.json grid.npy --bpd --dequantize
bad 2 "needs a number L >= 2" flow-eval logp -m dig.json d50.npy --bpd --dequantize=1
finish
