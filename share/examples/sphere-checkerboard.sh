#!/bin/bash
# sphere-checkerboard: flow_matching's sphere example. Trains flow-train --manifold sphere (from
# the uniform law, minibatch OT on the geodesic cost) on flow-data sphere-checkerboard (the 4 x 4
# board of [-4, 4)^2, 8 cells filled, as the tangent vector b / 4 at the north pole carried by
# exp) and prints one JSON object: the share of the samples on the board's filled cells (each
# sample taken back to the board by b = 4 log_n(x); the data's: 1, the uniform law's 0.143),
# the 2-Wasserstein distance to fresh data with the sphere's geodesic cost (flow-eval compare
# --manifold sphere) beside w2_floor, the same between two fresh data sets, and the
# largest |norm - 1| of the samples. Draws into OUTDIR (default sphere-checkerboard) the samples
# and fresh data on a globe seen from above the north pole (samples.png, data.png).
# Usage: bash share/examples/sphere-checkerboard.sh [--quick] [OUTDIR]
# --quick (or FLOWKIT_QUICK=1): a short run for the tests. The programs come from $FLOWKIT_BIN
# or PATH.
source "$(dirname "${BASH_SOURCE[0]}")/example-args.bash" "$@"
if [ "${FLOWKIT_QUICK:-0}" = 1 ]; then
  mode=quick n=2000 steps=1500
else
  mode=full n=2000 steps=5000
fi
flow-data sphere-checkerboard -n 20000 --seed 1 -o "$dir/train.npy"
flow-data sphere-checkerboard -n "$n" --seed 2 -o "$dir/test.npy"
flow-data sphere-checkerboard -n "$n" --seed 3 -o "$dir/test2.npy"
start=$(date +%s)
flow-train "$dir/train.npy" --manifold sphere --coupling ot --batch 256 --steps "$steps" --width 128 --lr 3e-3 \
  --warmup 200 -q -o "$dir/model.json"
train_s=$(($(date +%s) - start))
flow-sample -m "$dir/model.json" -n "$n" --solver rk4 --steps 20 --seed 5 -q -o "$dir/samples.npy"
w2() { flow-eval compare "$1" "$dir/test.npy" --manifold sphere --metrics w2 | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["w2"])'; }
/usr/bin/python3 - "$dir" "$mode" "$train_s" "$(w2 "$dir/samples.npy")" "$(w2 "$dir/test2.npy")" <<'PY'
import json, sys
import numpy as np
d, mode, train_s, w2, floor = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def on_board(x):  # b = 4 log_n(x): the board point whose tangent vector b / 4 exp carries to x
    r = np.arccos(np.clip(x[:, 2], -1, 1))
    s = np.hypot(x[:, 0], x[:, 1])
    b = 4 * r[:, None] * x[:, :2] / np.maximum(s, 1e-300)[:, None]
    i = np.floor((b + 4) / 2)
    return ((i >= 0) & (i < 4)).all(1) & (i.sum(1) % 2 == 0)
x = np.load(d + "/samples.npy").astype(float)
print(json.dumps({"mode": mode, "samples": len(x), "on_board": round(float(on_board(x).mean()), 3),
                  "on_board_data": round(float(on_board(np.load(d + "/test2.npy").astype(float)).mean()), 3),
                  "w2": round(w2, 4), "w2_floor": round(floor, 4),
                  "max_norm_error": float(np.abs(np.linalg.norm(x, axis=1) - 1).max()), "train_wall_s": train_s}))
PY
flow-plot "$dir/samples.npy" --projection ortho --centre 90,0 --title "$n samples ($mode run)" -q -o "$out/samples.png"
flow-plot "$dir/test.npy" --projection ortho --centre 90,0 --title "$n points of the data" -q -o "$out/data.png"
