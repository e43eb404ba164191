#!/bin/bash
# sphere: a flow on the sphere S^2. Trains flow-train --manifold sphere on a 4-component von
# Mises-Fisher mixture (concentrations 10 to 50) and prints, as one JSON object, the mean
# negative log-likelihood of fresh test points (flow-eval logp on the sphere, nats w.r.t. the
# area) beside the mixture's entropy (the mean of its exact -log p over the same points), the
# RMS difference between the learned and exact log density (plain, and weighted by the exact
# density) on a 40 x 80 latitude-longitude grid, and the largest |norm - 1| of the samples.
# Draws into OUTDIR (default sphere): the learned and the exact log density on Mollweide's map
# (density.png, exact.png), the samples on the map (samples.png) and paths from the uniform law
# on a globe (paths.png).
# Usage: bash share/examples/sphere.sh [--quick] [OUTDIR]
# --quick (or FLOWKIT_QUICK=1): a short run for the tests (under a minute). The programs come
# from $FLOWKIT_BIN or PATH.
source "$(dirname "$0")/manifold-nll.bash" "$@"
spec='{"weights": [0.4, 0.3, 0.2, 0.1], "means": [[0, 0, 1], [1, 0, 0], [0, -0.6, -0.8], [-0.6, 0.8, 0]], "kappas": [10, 20, 30, 50]}'
manifold_nll sphere vmf "$spec"
# the grid: cell centres of 40 latitudes x 80 longitudes, as unit vectors
flow-data grid --sphere --size 40 -o "$dir/grid.npy"
flow-eval logp -m "$dir/model.json" "${solve[@]}" "$dir/grid.npy" --with-points -o "$dir/glp.npy"
flow-sample -m "$dir/model.json" -n "$n" --solver rk4 --steps 20 --seed 9 -q -o "$dir/samples.npy"
flow-traj -m "$dir/model.json" -n 300 --solver rk4 --steps 20 --seed 9 -q -o "$dir/paths.npy"
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
grid, glp = np.load(d + "/grid.npy").astype(float), np.load(d + "/glp.npy")[:, -1].astype(float)
np.save(d + "/exact.npy", np.concatenate([grid, logp(grid)[:, None]], 1).astype(np.float32))
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
# the pictures, both densities on one colour scale
lim=(--vmin -8 --vmax 1.5)
flow-plot "$dir/glp.npy" --projection mollweide "${lim[@]}" --title "learned log density ($mode run)" -q -o "$out/density.png"
flow-plot "$dir/exact.npy" --projection mollweide "${lim[@]}" --title "exact log density (4 vMF components)" -q -o "$out/exact.png"
flow-plot "$dir/samples.npy" --projection mollweide --title "$n samples" -q -o "$out/samples.png"
flow-plot "$dir/paths.npy" --projection ortho --centre 30,30 --title "paths from the uniform law" -q -o "$out/paths.png"
