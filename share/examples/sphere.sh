#!/bin/bash
# sphere: a flow on the sphere S^2. Trains flow-train --manifold sphere on a 4-component von
# Mises-Fisher mixture (concentrations 10 to 50) and prints, as one JSON object, the mean
# negative log-likelihood of fresh test points (flow-eval logp on the sphere, nats w.r.t. the
# area) beside the mixture's entropy (the mean of its exact -log p over the same points), the
# RMS difference between the learned and exact log density (plain, and weighted by the exact
# density) on a 40 x 80 latitude-longitude grid, and the largest |norm - 1| of the samples.
# --quick (or FLOWKIT_QUICK=1): a short run for the tests (under a minute). The programs come
# from $FLOWKIT_BIN or PATH.
source "$(dirname "$0")/manifold-nll.bash" "$@"
spec='{"weights": [0.4, 0.3, 0.2, 0.1], "means": [[0, 0, 1], [1, 0, 0], [0, -0.6, -0.8], [-0.6, 0.8, 0]], "kappas": [10, 20, 30, 50]}'
manifold_nll sphere vmf "$spec"
# the grid: cell centres of latitude x longitude, as unit vectors
/usr/bin/python3 -c "
import numpy as np
lat = (np.arange(40) + 0.5) / 40 * np.pi - np.pi / 2; lon = (np.arange(80) + 0.5) / 80 * 2 * np.pi
la, lo = np.meshgrid(lat, lon, indexing='ij')
g = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1).reshape(-1, 3)
np.save('$dir/grid.npy', (g / np.linalg.norm(g, axis=1, keepdims=True)).astype(np.float32))"
flow-eval logp -m "$dir/model.json" "${solve[@]}" "$dir/grid.npy" -o "$dir/glp.npy"
flow-sample -m "$dir/model.json" -n "$n" --solver rk4 --steps 20 --seed 9 -q -o "$dir/samples.npy"
/usr/bin/python3 - "$spec" "$dir" "$mode" "$train_s" <<'PY'
import json, sys
import numpy as np
s, d = json.loads(sys.argv[1]), sys.argv[2]
w, mu, k = np.array(s["weights"]), np.array(s["means"], float), np.array(s["kappas"], float)
def logp(x):
    c = np.log(w) + np.log(k) - np.log(2 * np.pi * -np.expm1(-2 * k)) + k * (x @ mu.T - 1)
    m = c.max(1, keepdims=True)
    return (m + np.log(np.exp(c - m).sum(1, keepdims=True))).ravel()
test, lp = np.load(d + "/test.npy").astype(float), np.load(d + "/lp.npy").ravel()
grid, glp = np.load(d + "/grid.npy").astype(float), np.load(d + "/glp.npy").ravel()
x = np.load(d + "/samples.npy")
nll, ent = -lp.mean(), -logp(test).mean()
pg = np.exp(logp(grid))  # the RMS weighted by the exact density: where the data are
print(json.dumps({"mode": sys.argv[3], "points": len(lp), "nll": round(float(nll), 4),
                  "stderr": round(float(lp.std() / np.sqrt(len(lp))), 4), "entropy": round(float(ent), 4),
                  "gap": round(float(nll - ent), 4),
                  "grid_rms_logp": round(float(np.sqrt(((glp - logp(grid)) ** 2).mean())), 4),
                  "grid_rms_logp_weighted": round(float(np.sqrt((pg * (glp - logp(grid)) ** 2).sum() / pg.sum())), 4),
                  "max_norm_error": float(np.abs(np.linalg.norm(x.astype(float), axis=1) - 1).max()),
                  "train_wall_s": int(sys.argv[4])}))
PY
