# flow-train: every bad input is one clear line on stderr, the right exit status, no output file.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

$PYTHON - <<'PY'
import numpy as np
r = np.random.default_rng(0)
x = r.standard_normal((100, 2)).astype(np.float32)
np.save("x.npy", x)
with open("short.npy", "wb") as f:
    np.save(f, x); np.save(f, np.zeros(50, np.float32))
with open("frac.npy", "wb") as f:
    np.save(f, x); np.save(f, np.full(100, 0.5, np.float32))
x[3, 1] = np.nan
np.save("nan.npy", x)
PY
s="--steps 5 --batch 32 -q"

bad 2 "--bogus" flow-train x.npy --bogus
bad 2 "unknown activation 'swish'; one of silu, relu, gelu, tanh, selu" flow-train x.npy $s --activation swish
bad 2 "unknown schedule 'cubic'" flow-train x.npy $s --schedule cubic
bad 2 "unknown coupling 'greedy'; one of independent, ot, sinkhorn" flow-train x.npy $s --coupling greedy
bad 2 "unknown prediction 'score'" flow-train x.npy $s --predict score
bad 2 "unknown decay" flow-train x.npy $s --decay step
bad 2 "--steps must be at least 1" flow-train x.npy --steps 0
bad 2 "--lr must be positive" flow-train x.npy $s --lr -0.1
bad 2 "--width must be" flow-train x.npy $s --width 0
bad 2 "--ema must be in" flow-train x.npy $s --ema 1.5
bad 2 "unknown distribution 'blob'; one of moons" flow-train --toy blob $s
bad 2 "not both" flow-train x.npy $s --toy moons
bad 2 "needs labels" flow-train x.npy $s --conditional
bad 1 "fewer than one batch" flow-train x.npy --steps 5 --batch 512
bad 1 "companion array of shape \(50,\)" flow-train short.npy $s --conditional
bad 1 "label 0 is 0.5" flow-train frac.npy $s --conditional
bad 1 "nan.npy: row 3 holds a NaN" flow-train nan.npy $s
bad 1 "loss became (NaN|infinite) at step [0-9]+" flow-train x.npy --batch 32 -q --steps 300 --lr 1e12 --clip 0
bad 1 "cannot write /nonexistent/m.json" flow-train x.npy $s -o /nonexistent/m.json
bad 1 "cannot open checkpoint" flow-train x.npy $s --resume missing.ckpt
echo '{"format": "flowkit-model", "version": 7}' > v7.ckpt
bad 1 "model version 7 is not supported" flow-train x.npy $s --resume v7.ckpt
bad 1 "missing.npy" flow-train missing.npy $s
check '[ ! -e model.json ]' "a failed run left model.json"
# Divergence keeps the last good checkpoint
bad 1 "last good checkpoint is from step" flow-train x.npy --batch 32 -q --steps 300 --lr 1e12 --clip 0 \
  --checkpoint-every 1 --checkpoint keep.ckpt
check '$PYTHON -c "import json; c = json.load(open(\"keep.ckpt\")); assert c[\"checkpoint\"][\"step\"] >= 1"' "no good checkpoint kept"
finish
