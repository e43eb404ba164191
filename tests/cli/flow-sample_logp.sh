# flow-sample --logp: samples with their log density in one forward pass agree with the
# exact mixture density and with flow-eval logp's reverse pass; bad combinations are refused.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
gmm="$FLOWKIT_SRC/share/models/gmm8.json"

ok flow-sample -m "$gmm" -n 2000 --solver rk4 --steps 200 --logp --seed 5 -o sl.npy
ok flow-sample -m "$gmm" -n 2000 --solver rk4 --steps 200 --seed 5 -o s.npy
# The first two columns are the samples, the third their log density
ok /usr/bin/python3 - "$gmm" <<'PY'
import json, sys
import numpy as np
m = json.load(open(sys.argv[1]))
sl, s = np.load("sl.npy"), np.load("s.npy")
assert sl.shape == (2000, 3), sl.shape
assert np.allclose(sl[:, :2], s, atol=1e-5), np.abs(sl[:, :2] - s).max()
x = sl[:, :2].astype(np.float64)
w, mu, var = np.array(m["weights"]), np.array(m["means"]), np.array(m["variances"])
comp = -0.5 * (((x[:, None, :] - mu[None]) ** 2) / var[None]).sum(-1) - 0.5 * np.log(2 * np.pi * var).sum(-1)[None]
exact = np.log((w[None] * np.exp(comp)).sum(1))
err = np.abs(sl[:, 2] - exact).mean()
assert err < 1e-2, err
PY
# The forward pass agrees with flow-eval's reverse pass on the same points
sh_ok "flow-eval logp -m '$gmm' s.npy --solver rk4 --steps 200 -f csv > lp.csv"
ok /usr/bin/python3 -c "
import numpy as np
a = np.load('sl.npy')[:, 2]; b = np.loadtxt('lp.csv', delimiter=',', comments='#', ndmin=1)
b = b[-len(a):] if b.ndim == 1 else b[:, -1]
assert np.abs(a - b).mean() < 1e-2, np.abs(a - b).mean()"

# Refused: em, --from, and start points with NaN
bad 2 "logp" flow-sample -m "$gmm" -n 10 --solver em --logp -o x.npy
ok flow-data gaussian -n 10 -o g.npy
bad 2 "logp" flow-sample -m "$gmm" --from g.npy --logp -o x.npy
/usr/bin/python3 -c "import numpy as np; a = np.zeros((5, 2), np.float32); a[3, 1] = np.nan; np.save('nan.npy', a)"
bad 1 "row 3" flow-sample -m "$gmm" --from nan.npy -o x.npy
check '[ ! -e x.npy ]' "an error left x.npy"
finish
