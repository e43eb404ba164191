#!/bin/bash
# torus-checkerboard: does a flow on the torus see a seam? Trains on flow-data torus-checkerboard
# (the 4 x 4 board on [0, 2 pi)^2, cells of side pi / 2, density 1 / (2 pi^2) on the 8 filled
# ones) twice, the same way (minibatch OT, the same network size and steps) from the uniform
# law: flow-train --manifold torus --harmonics 4 (sin kx, cos kx, k <= 4, for the board's
# period pi / 2 detail), and a flat model (no --manifold) from uniform points of the square
# (flow-data wrapped-normal with variance 100: uniform to 1e-21). Prints one JSON object with,
# for each model, from fresh samples (the flat model's taken mod 2 pi):
#   seam_share, seam_board: the share of (sample, angle) pairs with the angle within pi/16 of the
#     seam (theta < pi/16 or theta >= 2 pi - pi/16), against the data's exact 1/16; and the
#     share of the samples in a seam strip (either angle) on the board's filled cells (data: 1);
#   mid_share, mid_board: the same for the strips within pi/16 of theta = pi, a cell boundary
#     the data and the uniform law cannot tell from the seam (the board is invariant under the
#     shift by pi): a model without a seam has the same figures there as at the seam;
#   outside: the share of samples put outside [0, 2 pi)^2 before wrapping;
#   w2: the 2-Wasserstein distance to fresh data with the torus's geodesic cost (flow-eval
#     compare --manifold torus), beside w2_floor, the same between two fresh data sets.
# Draws both models' samples on the torus's square into OUTDIR (default torus-checkerboard):
# torus.png and flat.png.
# Usage: bash share/examples/torus-checkerboard.sh [--quick] [OUTDIR]
# --quick (or FLOWKIT_QUICK=1): a short run for the tests. The programs come from $FLOWKIT_BIN
# or PATH.
source "$(dirname "${BASH_SOURCE[0]}")/example-args.bash" "$@"
if [ "${FLOWKIT_QUICK:-0}" = 1 ]; then
  mode=quick n=2000 steps=1500
else
  mode=full n=5000 steps=4000
fi
train=(--coupling ot --batch 256 --steps "$steps" --width 128 --lr 3e-3 --warmup 200 -q)
source_spec='{"weights": [1], "means": [[3.141592653589793, 3.141592653589793]], "vars": [[100, 100]]}'
flow-data torus-checkerboard -n 20000 --seed 1 -o "$dir/train.npy"
flow-data torus-checkerboard -n "$n" --seed 2 -o "$dir/test.npy"
flow-data torus-checkerboard -n "$n" --seed 3 -o "$dir/test2.npy"
flow-data wrapped-normal --spec "$source_spec" -n 20000 --seed 4 -o "$dir/source.npy"
flow-data wrapped-normal --spec "$source_spec" -n "$n" --seed 5 -o "$dir/start.npy"
start=$(date +%s)
flow-train "$dir/train.npy" --manifold torus --harmonics 4 "${train[@]}" -o "$dir/torus.json"
flow-train "$dir/train.npy" --source "$dir/source.npy" "${train[@]}" -o "$dir/flat.json"
train_s=$(($(date +%s) - start))
flow-sample -m "$dir/torus.json" -n "$n" --solver rk4 --steps 20 --seed 5 -q -o "$dir/torus.npy"
flow-sample -m "$dir/flat.json" --from "$dir/start.npy" --solver rk4 --steps 20 -q -o "$dir/flat.npy"
w2() { flow-eval compare "$1" "$dir/test.npy" --manifold torus --metrics w2 | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["w2"])'; }
/usr/bin/python3 - "$dir" "$mode" "$train_s" "$(w2 "$dir/torus.npy")" "$(w2 "$dir/flat.npy")" "$(w2 "$dir/test2.npy")" <<'PY'
import json, sys
import numpy as np
d, mode, train_s = sys.argv[1], sys.argv[2], int(sys.argv[3])
w2 = dict(zip(["torus", "flat", "floor"], map(float, sys.argv[4:7])))
two_pi, eps = 2 * np.pi, np.pi / 16
def figures(raw):
    x = np.mod(raw, two_pi)
    board = np.floor(x / (np.pi / 2)).astype(int).sum(1) % 2 == 0  # the filled cells: i + j even
    f = {}
    for name, c in [("seam", 0.0), ("mid", np.pi)]:
        strip = np.abs(np.mod(x - c + np.pi, two_pi) - np.pi) < eps  # per angle
        f[name + "_share"] = round(float(strip.mean()), 4)
        f[name + "_board"] = round(float(board[strip.any(1)].mean()), 3)
    f["outside"] = round(float(((raw < 0) | (raw >= two_pi)).any(1).mean()), 4)
    return f
r = {"mode": mode, "samples": int(np.load(d + "/test.npy").shape[0]), "share_exact": round(eps / np.pi, 4),
     "data": figures(np.load(d + "/test2.npy").astype(float))}
for m in ["torus", "flat"]:
    r[m] = figures(np.load(d + "/" + m + ".npy").astype(float)) | {"w2": round(w2[m], 4)}
r["w2_floor"], r["train_wall_s"] = round(w2["floor"], 4), train_s
print(json.dumps(r))
PY
axes=(--xlabel theta1 --ylabel theta2)
flow-plot "$dir/torus.npy" --projection torus "${axes[@]}" --title "flow on the torus ($mode run)" -q -o "$out/torus.png"
flow-plot "$dir/flat.npy" --projection torus "${axes[@]}" --title "flat flow, wrapped ($mode run)" -q -o "$out/flat.png"
