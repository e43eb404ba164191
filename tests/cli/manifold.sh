# Flows on the sphere and the torus end to end: vMF and von Mises mixture data, training with
# --manifold, samples and trajectories that stay on the manifold, the rotation oracle's exact
# log density, a learned density near the data's exact one, and one clear line for bad input.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
PY=/usr/bin/python3

# The rotation oracle: u = A x, A skew-symmetric, keeps the uniform density -log 4 pi exactly
cat >rot.json <<'J'
{"format": "flowkit-model", "version": 1, "type": "linear", "manifold": "sphere",
 "A": [[0, -1.0, 1.0], [1.0, 0, -0.5], [-1.0, 0.5, 0]]}
J
ok flow-sample -m rot.json -n 500 --solver rk4 --steps 20 --seed 3 -o u.npy
ok flow-eval logp -m rot.json u.npy --solver rk4 --steps 20 -o lp.npy
sh_ok "$PY -c \"
import numpy as np
x, lp = np.load('u.npy'), np.load('lp.npy').reshape(-1)
assert np.abs(np.linalg.norm(x, axis=1) - 1).max() < 1e-5
assert np.abs(lp + np.log(4 * np.pi)).max() < 1e-5, np.abs(lp + np.log(4 * np.pi)).max()\""

# A 4-component vMF mixture on S^2, a short training run, samples and trajectories on the sphere
spec='{"weights": [0.4, 0.3, 0.2, 0.1], "means": [[0, 0, 1], [1, 0, 0], [0, -0.6, -0.8], [-0.6, 0.8, 0]], "kappas": [10, 20, 30, 50]}'
ok flow-data vmf --spec "$spec" -n 4000 --seed 1 -o train.npy
ok flow-data vmf --spec "$spec" -n 1000 --seed 2 -o test.npy
ok flow-train train.npy --manifold sphere --steps 1500 --batch 256 --width 64 --lr 3e-3 --warmup 100 --quiet -o s.json
sh_ok "$PY -c \"import json; m = json.load(open('s.json')); assert m['manifold'] == 'sphere' and m['source'] == 'uniform'\""
ok flow-sample -m s.json -n 2000 --solver midpoint --steps 20 -o xs.npy
ok flow-traj -m s.json -n 200 --solver rk4 --steps 10 -o tr.npy
ok flow-eval logp -m s.json test.npy --solver rk4 --steps 20 -o tlp.npy
# The safetensors form keeps the manifold: the same log densities
ok flow-train --convert s.json -o s.safetensors
ok flow-eval logp -m s.safetensors test.npy --solver rk4 --steps 20 -o tlp2.npy
sh_ok "cmp tlp.npy tlp2.npy"
sh_ok "$PY - '$spec' <<'P'
import json, sys
import numpy as np
s = json.loads(sys.argv[1])
xs, tr = np.load('xs.npy'), np.load('tr.npy')
assert np.abs(np.linalg.norm(xs, axis=1) - 1).max() < 1e-5
assert np.abs(np.linalg.norm(tr, axis=2) - 1).max() < 1e-5, np.abs(np.linalg.norm(tr, axis=2) - 1).max()
w, mu, k = np.array(s['weights']), np.array(s['means']), np.array(s['kappas'], float)
def logp(x):
    c = np.log(w) + np.log(k) - np.log(2 * np.pi * -np.expm1(-2 * k)) + k * (x @ mu.T - 1)
    m = c.max(1, keepdims=True)
    return (m + np.log(np.exp(c - m).sum(1, keepdims=True))).ravel()
test = np.load('test.npy').astype(np.float64)
nll, ent = -np.load('tlp.npy').ravel().mean(), -logp(test).mean()
# a short run: within 0.3 nats of the entropy (the example trains longer for 0.05)
assert np.isfinite(nll) and abs(nll - ent) < 0.3, (nll, ent)
# samples land on the mixture: their mean exact log density is near the data's
assert logp(xs.astype(np.float64)).mean() > -ent - 0.3, (logp(xs).mean(), -ent)
P"

# The torus: a von Mises mixture, samples in [0, 2 pi)
tspec='{"weights": [0.5, 0.5], "means": [[1, 5], [4, 0.5]], "kappas": [[8, 4], [3, 6]]}'
ok flow-data vonmises --spec "$tspec" -n 3000 --seed 1 -o ang.npy
ok flow-train ang.npy --manifold torus --source wrapped-normal:1.5 --steps 800 --batch 256 --width 64 --lr 3e-3 --quiet -o t.json
sh_ok "$PY -c \"import json; m = json.load(open('t.json')); assert m['architecture']['periodic'] and m['source'] == 'wrapped-normal:1.5'\""
ok flow-sample -m t.json -n 1000 --solver rk4 --steps 10 -o ts.npy
# --harmonics K: the features sin kx, cos kx for k <= K, recorded in the model; angles only
ok flow-train ang.npy --manifold torus --harmonics 3 --steps 20 --width 16 --quiet -o h.json
sh_ok "$PY -c \"import json; a = json.load(open('h.json'))['architecture']; assert a['harmonics'] == 3 and a['periodic']\""
ok flow-sample -m h.json -n 10 --steps 4 -o hs.npy
bad 2 "--harmonics is for angles: --manifold torus" flow-train ang.npy --harmonics 2 --steps 5 -o x.json
bad 2 "--harmonics must be in 1..64, got 0" flow-train ang.npy --manifold torus --harmonics 0 --steps 5 -o x.json
sed 's/"harmonics": 3/"harmonics": 0/' h.json > h0.json
bad 1 "harmonics must be in 1..64, got 0" flow-sample -m h0.json -n 10 -o x.npy
check '[ ! -e x.json ] && [ ! -e x.npy ]' "a refused --harmonics wrote a file"
ok flow-eval logp -m t.json ang.npy --solver rk4 --steps 10 -o tl.npy
sh_ok "$PY -c \"
import numpy as np
x, lp = np.load('ts.npy'), np.load('tl.npy')
assert x.min() >= 0 and x.max() < 2 * np.pi and np.isfinite(lp).all()\""

# W2 with the geodesic cost: across the torus's seam 6.2 is 0.18 from 0.1
$PY -c "import numpy as np; np.save('a.npy', np.array([[0.1, 0.1], [3, 3]], np.float32)); np.save('b.npy', np.array([[3, 3.2], [6.2, 0.1]], np.float32))"
sh_ok "flow-eval compare a.npy b.npy --manifold torus --metrics w2 | $PY -c 'import json, sys, math; j = json.load(sys.stdin); w = math.sqrt((0.2 ** 2 + (2 * math.pi - 6.2 + 0.1) ** 2) / 2); assert abs(j[\"w2\"] - w) < 1e-5, (j, w)'"
bad 1 "row 0 has norm" flow-eval compare a.npy b.npy --manifold sphere

# Latitude/longitude and angles onto the manifolds
printf 'lat,lon\n0,0\n90,0\n-45,180\n' >ll.csv
sh_ok "flow-data latlon ll.csv | $PY -c 'import sys, io, numpy as np; x = np.load(io.BytesIO(sys.stdin.buffer.read())); assert np.allclose(x, [[1, 0, 0], [0, 0, 1], [-0.5 ** 0.5, 0, -0.5 ** 0.5]], atol=1e-6), x'"
printf '0,370\n180,-90\n' >deg.csv
sh_ok "flow-data angles deg.csv --degrees | $PY -c 'import sys, io, numpy as np; x = np.load(io.BytesIO(sys.stdin.buffer.read())); assert np.allclose(x, np.radians([[0, 10], [180, 270]]), atol=1e-5), x'"
# A table with text columns, a quoted name holding a comma, longitude before latitude: the
# columns by header name and by number give the same unit vectors, and London-Paris along the
# great circle (R = 6371 km) is the haversine distance of the degrees, 343.6 km
printf 'name,country,lon,lat\n"London, City of",UK,-0.1278,51.5074\n# a comment\nParis,"France, ""FR""",2.3522,48.8566\n' >cities.csv
sh_ok "flow-data latlon cities.csv --columns lat,lon -o cities.npy"
sh_ok "flow-data latlon --columns 4,3 -o cities-by-number.npy < cities.csv"
check 'cmp -s cities.npy cities-by-number.npy' "--columns by name and by number differ"
sh_ok "$PY -c '
import numpy as np
x = np.load(\"cities.npy\").astype(float)
d = 6371 * np.arccos(np.clip(x[0] @ x[1], -1, 1))
a, b = np.radians([51.5074, -0.1278]), np.radians([48.8566, 2.3522])
h = 2 * 6371 * np.arcsin(np.sqrt(np.sin((b[0] - a[0]) / 2) ** 2 + np.cos(a[0]) * np.cos(b[0]) * np.sin((b[1] - a[1]) / 2) ** 2))
assert x.shape == (2, 3) and abs(d - h) < 0.5 and abs(h - 343.6) < 0.5, (d, h)'"
bad 1 "no column named 'latitude' in the header line 1" flow-data latlon cities.csv --columns latitude,lon -o m.npy
bad 1 "non-numeric cell 'UK' at line 2, column 2" flow-data latlon cities.csv --columns 2,3 -o m.npy
bad 1 "line 2 has 4 cells, no column 9" flow-data latlon cities.csv --columns 9,3 -o m.npy
bad 2 "bad --columns 'lat'; expected LAT,LON" flow-data latlon cities.csv --columns lat -o m.npy
printf '10,20\n' >noheader.csv
bad 1 "column names given but the table has no header line" flow-data latlon noheader.csv --columns lat,lon -o m.npy
printf 'lat,lon\n0,0\n91,0\n' >far.csv
bad 1 "row 1 has latitude 91.*outside \[-90, 90\]" flow-data latlon far.csv -o m.npy
printf 'lat,lon\n0,0\nnan,3\n' >nan.csv
bad 1 "row 1 is not finite" flow-data latlon nan.csv -o m.npy
bad 1 "row 1 is not finite" flow-data angles nan.csv -o m.npy

# Bad input: one line each
$PY -c "import numpy as np; np.save('flat.npy', np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32))"
bad 1 "row 0 has norm .*: points on the sphere are unit vectors" flow-train flat.npy --manifold sphere --steps 2 -o m.json
$PY -c "import numpy as np; a = np.zeros((300, 2), np.float32); a[7, 1] = np.inf; np.save('inf.npy', a)"
bad 1 "row 7 (is not finite|holds a NaN or Inf)" flow-train inf.npy --manifold torus --steps 2 -o m.json
$PY -c "import numpy as np; np.save('two.npy', np.ones((5, 2), np.float32))"
bad 1 "points of dimension 2 for a model of dimension 3" flow-eval logp -m s.json two.npy
bad 2 "solver dopri5 does not keep a flow on the sphere" flow-sample -m s.json -n 5 --solver dopri5 -o m.npy
bad 2 "solver em does not keep a flow on the sphere" flow-sample -m s.json -n 5 --solver em -o m.npy
bad 2 "wrapped-normal:S needs a number S in \[1e-4, 100\]" flow-train train.npy --manifold sphere --source wrapped-normal:0 -o m.json
bad 2 "unknown manifold 'plane'" flow-train train.npy --manifold plane -o m.json
# Minibatch OT on the squared geodesic distance trains, and the model says so
ok flow-train train.npy --manifold sphere --coupling ot --steps 20 --batch 64 -q -o ot.json
check 'grep -q "\"coupling\": *\"ot\"" ot.json' "the geodesic OT coupling is not recorded in the model"
bad 2 "--coupling must be independent or ot" flow-train train.npy --manifold sphere --coupling sinkhorn -o m.json
bad 2 "needs a data file" flow-train --manifold torus -o m.json
check '[ ! -e m.json ] && [ ! -e m.npy ]' "an error left an output"
finish
