#!/bin/bash
# torus: a flow on the torus T^2 = [0, 2 pi)^2, like a Ramachandran plot of backbone angles
# (phi, psi). Trains flow-train --manifold torus on a 3-component von Mises mixture (one mode
# across the seam) and prints, as one JSON object, the mean negative log-likelihood of fresh
# test points (flow-eval logp, nats w.r.t. d phi d psi) beside the mixture's entropy (the mean
# of its exact -log p over the same points), and the RMS difference between the learned and
# exact log density (plain, and weighted by the exact density) on a 60 x 60 grid. Draws into
# OUTDIR (default torus): the learned and exact log density (density.png, exact.png), samples
# (samples.png) and paths from the uniform law, cut at the seam (paths.png), on [0, 2 pi)^2.
# Usage: bash share/examples/torus.sh [--quick] [OUTDIR]
# --quick (or FLOWKIT_QUICK=1): a short run for the tests (under a minute). The programs come
# from $FLOWKIT_BIN or PATH.
source "$(dirname "$0")/manifold-nll.bash" "$@"
spec='{"weights": [0.5, 0.3, 0.2], "means": [[4.2, 2.4], [4.5, 5.6], [1.0, 0.2]], "kappas": [[6, 3], [8, 8], [4, 10]]}'
manifold_nll torus vonmises "$spec"
flow-data grid --range 0:6.283185 --size 60 -o "$dir/grid.npy"
flow-eval logp -m "$dir/model.json" "${solve[@]}" "$dir/grid.npy" --with-points -o "$dir/glp.npy"
flow-sample -m "$dir/model.json" -n "$n" --solver rk4 --steps 20 --seed 9 -q -o "$dir/samples.npy"
flow-traj -m "$dir/model.json" -n 200 --solver rk4 --steps 20 --seed 9 -q -o "$dir/paths.npy"
/usr/bin/python3 - "$spec" "$dir" "$mode" "$train_s" <<'PY'
import json, sys
import numpy as np
s, d = json.loads(sys.argv[1]), sys.argv[2]
w, mu, k = np.array(s["weights"]), np.array(s["means"], float), np.array(s["kappas"], float)
def logp(x):
    c = np.log(w) + (k[None] * np.cos(x[:, None, :] - mu[None]) - np.log(2 * np.pi * np.i0(k))[None]).sum(-1)
    m = c.max(1, keepdims=True)
    return (m + np.log(np.exp(c - m).sum(1, keepdims=True))).ravel()
test, lp = np.load(d + "/test.npy").astype(float), np.load(d + "/lp.npy").ravel()
grid, glp = np.load(d + "/grid.npy").astype(float), np.load(d + "/glp.npy")[:, -1].astype(float)
np.save(d + "/exact.npy", np.concatenate([grid, logp(grid)[:, None]], 1).astype(np.float32))
nll, ent = -lp.mean(), -logp(test).mean()
pg = np.exp(logp(grid))  # the RMS weighted by the exact density: where the data are
print(json.dumps({"mode": sys.argv[3], "points": len(lp), "nll": round(float(nll), 4),
                  "stderr": round(float(lp.std() / np.sqrt(len(lp))), 4), "entropy": round(float(ent), 4),
                  "gap": round(float(nll - ent), 4),
                  "grid_rms_logp": round(float(np.sqrt(((glp - logp(grid)) ** 2).mean())), 4),
                  "grid_rms_logp_weighted": round(float(np.sqrt((pg * (glp - logp(grid)) ** 2).sum() / pg.sum())), 4),
                  "train_wall_s": int(sys.argv[4])}))
PY
# the pictures, both densities on one colour scale
lim=(--vmin -10 --vmax 0)
axes=(--xlabel phi --ylabel psi)
flow-plot "$dir/glp.npy" --projection torus "${lim[@]}" "${axes[@]}" --title "learned log density ($mode run)" -q -o "$out/density.png"
flow-plot "$dir/exact.npy" --projection torus "${lim[@]}" "${axes[@]}" --title "exact log density (3 von Mises components)" -q -o "$out/exact.png"
flow-plot "$dir/samples.npy" --projection torus "${axes[@]}" --title "$n samples" -q -o "$out/samples.png"
flow-plot "$dir/paths.npy" --projection torus "${axes[@]}" --title "paths from the uniform law" -q -o "$out/paths.png"
