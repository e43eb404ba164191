# flow-train: model files from points, images and labelled data; reproducibility, bit-exact
# resume, logs, bridges and couplings.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

# A 2-D mixture with labels (companion array), and 4x4 "images"
$PYTHON - <<'PY'
import numpy as np
r = np.random.default_rng(0)
k = r.integers(0, 3, 2000)
x = np.array([[-2, 0], [2, 0], [0, 2]], dtype=np.float32)[k] + 0.3 * r.standard_normal((2000, 2)).astype(np.float32)
with open("gmm.npy", "wb") as f:
    np.save(f, x); np.save(f, k.astype(np.float32))
np.save("src.npy", r.standard_normal((500, 2)).astype(np.float32) * 0.5 + 3)
np.save("img.npy", r.random((300, 4, 4)).astype(np.float32))
PY
small="--steps 40 --width 16 --depth 2 --batch 64 -q"

ok flow-train gmm.npy $small -o m.json
check '$PYTHON -c "
import json; m = json.load(open(\"m.json\"))
assert m[\"format\"] == \"flowkit-model\" and m[\"version\"] == 1 and m[\"type\"] == \"learned\"
assert m[\"dim\"] == 2 and m[\"shape\"] == [2] and m[\"source\"] == \"gaussian\"
assert m[\"training\"][\"steps_done\"] == 40 and m[\"sampling_weights\"] == \"ema\"
assert [t[\"name\"] for t in m[\"weights\"]] == [\"in.W\", \"in.b\", \"hidden1.W\", \"hidden1.b\", \"out.W\", \"out.b\"]
"' "model file fields"

# The same seed and threads: the same bytes; another seed: other bytes
ok flow-train gmm.npy $small --threads 1 -o a.json
ok flow-train gmm.npy $small --threads 1 -o b.json
check 'cmp -s a.json b.json' "same seed, different model files"
ok flow-train gmm.npy $small --threads 1 --seed 5 -o c.json
check '! cmp -s a.json c.json' "another seed, same model file"

# 2N steps == N steps + checkpoint + resume for N more, byte for byte
run="gmm.npy --width 16 --depth 2 --batch 64 -q --threads 1 --decay constant --val-fraction 0.1 --coupling ot"
ok flow-train $run --steps 60 -o full.json
ok flow-train $run --steps 30 --checkpoint-every 30 --checkpoint half.ckpt -o half.json
ok flow-train gmm.npy -q --threads 1 --resume half.ckpt --steps 60 -o resumed.json
check 'cmp -s full.json resumed.json' "resumed run differs from the uninterrupted one"
bad 1 "different data" flow-train img.npy -q --resume half.ckpt --steps 60 -o x.json
# A setting flag with --resume is refused, not dropped (--lr 0.5 gave the resumed bytes), and a
# data file for a --toy checkpoint too (it trained on the toy and ignored the file)
bad 2 "--resume continues the checkpoint's settings, which --lr would change" \
  flow-train gmm.npy -q --resume half.ckpt --steps 60 --lr 0.5 -o x.json
ok flow-train --toy moons --steps 4 --width 8 --depth 1 --batch 32 --checkpoint-every 4 --checkpoint toy.ckpt -q -o toy.json
bad 2 "toy.ckpt trained on --toy moons: no data file gmm.npy" flow-train gmm.npy -q --resume toy.ckpt --steps 8 -o x.json
bad 2 "which --toy would change" flow-train --toy circles -q --resume toy.ckpt --steps 8 -o x.json

# Images keep their shape; labels make a conditional model; the log is JSON lines
ok flow-train img.npy $small -o img.json
check '$PYTHON -c "import json; m = json.load(open(\"img.json\")); assert m[\"shape\"] == [4, 4] and m[\"dim\"] == 16"' "image shape"
ok flow-train gmm.npy $small --conditional --cond-drop 0.2 --log log.jsonl -o cond.json
check '$PYTHON -c "
import json; m = json.load(open(\"cond.json\")); assert m[\"architecture\"][\"num_classes\"] == 3
assert m[\"weights\"][-1][\"name\"] == \"label.E\" and m[\"weights\"][-1][\"shape\"] == [16, 4]
lines = [json.loads(l) for l in open(\"log.jsonl\")]
assert lines[-1][\"event\"] == \"done\" and all(\"loss\" in l for l in lines)
assert lines[-2][\"step\"] == 40
"' "conditional model and log"

# Standard input, a bridge from another data set, each coupling, the other options
sh_ok "cat gmm.npy | flow-train - $small -o stdin.json"
check 'cmp -s stdin.json m.json' "standard input gives another model"
ok flow-train gmm.npy $small --source src.npy -o bridge.json
check 'grep -q "\"source\": \"data\"" bridge.json' "bridge model does not record its source"
for c in independent ot sinkhorn; do ok flow-train gmm.npy $small --coupling $c -o c.json; done
ok flow-train gmm.npy $small --residual --activation gelu --schedule poly:2 --predict data --t-dist logit-normal \
  --sigma-min 0.05 --optimizer adamw --weight-decay 0.01 --decay linear --warmup 5 --time-freqs 0 --ema 0 -o o.json
check 'grep -q "\"sampling_weights\": \"weights\"" o.json' "--ema 0 still says ema"
# A toy source with a validation set; the models sample (flow-sample) with their shapes
ok flow-train --toy moons $small --val-fraction 0.1 -o toy.json
check 'grep -q "final_val_loss" toy.json' "toy model without validation loss"
sh_ok "flow-sample -m toy.json -n 100 -f csv | tail -n +2 | wc -l | grep -qx 100"
sh_ok "flow-sample -m img.json -n 3 | $PYTHON -c 'import numpy as np, sys, io; a = np.load(io.BytesIO(sys.stdin.buffer.read())); assert a.shape == (3, 4, 4), a.shape'"
sh_ok "flow-sample -m cond.json -n 6 --class 1 --guidance 2 -f csv | tail -n +2 | wc -l | grep -qx 6"
sh_ok "flow-train gmm.npy $small -o - | $PYTHON -c 'import json, sys; json.load(sys.stdin)'"
finish
