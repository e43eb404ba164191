# flow-train --net unet: a tiny U-Net (channels 4,8) on the 8x8 digits trains, writes its
# architecture, resumes bit-exactly, samples (ODE, SDE, guidance, a class grid), draws
# trajectories and evaluates bits per dimension (exact divergence and Hutchinson), in seconds.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

ok flow-data digits -o digits.npy
$PYTHON - <<'PY'
import numpy as np
with open("digits.npy", "rb") as f:
    x, y = np.load(f), np.load(f)
np.save("few.npy", x[:12])
np.save("rgb.npy", np.repeat(x[:64, :, :, None], 3, axis=3))
PY
base="digits.npy --net unet --blocks 1 --embed 8 --batch 32 -q"
tiny="$base --channels 4,8 --groups 2 --threads 1"

ok flow-train $tiny --steps 10 -o m.json
# Images of another shape with the model's size are refused, not read as its 8 x 8 images
$PYTHON -c "import numpy as np; np.save('wide.npy', np.load('digits.npy')[:3].reshape(3, 4, 16))"
bad 1 "images of shape \(3, 4, 16\) in --from wide.npy, but the model's are 8 x 8" flow-sample -m m.json --from wide.npy -o x.npy
bad 1 "images of shape \(3, 4, 16\) in wide.npy, but the model's are 8 x 8" flow-eval field -m m.json --t 0.5 wide.npy -o x.npy
check '$PYTHON -c "
import json; m = json.load(open(\"m.json\"))
a = m[\"architecture\"]
assert a == {\"kind\": \"unet\", \"channels\": [4, 8], \"blocks\": 1, \"embed\": 8, \"groups\": 2, \"time_freqs\": 8, \"num_classes\": 0}, a
assert m[\"shape\"] == [8, 8] and m[\"dim\"] == 64
n = m[\"normalization\"]
assert len(set(n[\"mean\"])) == 1 and len(set(n[\"scale\"])) == 1, n  # one mean and scale for every pixel
names = [t[\"name\"] for t in m[\"weights\"]]
assert names[0] == \"time.W1\" and \"down0.down.W\" in names and \"up0.block0.skip.W\" in names and names[-1] == \"out.b\", names
"' "U-Net model file fields"
ok flow-train rgb.npy --net unet --channels 4 --groups 2 --embed 4 --batch 16 --steps 3 -q -o rgb.json

# Conditional: 2N steps == N steps + checkpoint + resume, byte for byte; and at 2 threads
run="$tiny --conditional --decay constant"
ok flow-train $run --steps 12 -o full.json
ok flow-train $run --steps 6 --checkpoint-every 6 --checkpoint half.ckpt -o half.json
ok flow-train digits.npy -q --threads 1 --resume half.ckpt --steps 12 -o resumed.json
check 'cmp -s full.json resumed.json' "resumed U-Net run differs from the uninterrupted one"
run2="$base --channels 4,8 --groups 2 --conditional --decay constant --threads 2"
ok flow-train $run2 --steps 12 -o two-a.json
ok flow-train $run2 --steps 12 -o two-b.json
check 'cmp -s two-a.json two-b.json' "two U-Net runs at 2 threads differ"

# Validation: --val-fraction 0.2 holds out 359 digits, of which a U-Net scores 256 (16 pieces
# of 16 images, dealt to the threads and summed in piece order): the same model file, validation
# losses included, at 1 and 2 threads with the same shards
val="$base --channels 4,8 --groups 2 --shards 2 --decay constant --steps 4 --val-fraction 0.2"
ok flow-train $val --threads 1 --log val1.log -o val1.json
ok flow-train $val --threads 2 --log val2.log -o val2.json
check 'cmp -s val1.json val2.json' "U-Net validation at 1 and 2 threads: different model files"
check '[ "$(grep -o "\"val_loss\":[0-9.e+-]*" val1.log)" = "$(grep -o "\"val_loss\":[0-9.e+-]*" val2.log)" ] &&
       [ "$(grep -c "\"val_loss\":[0-9]" val1.log)" = 4 ]' "U-Net validation losses at 1 and 2 threads ($(cat val1.log val2.log))"
check '$PYTHON -c "
import json, math; t = json.load(open(\"val1.json\"))[\"training\"]
assert t[\"val_points\"] == 256 and math.isfinite(t[\"final_val_loss\"]), t"' "U-Net validation set size"

# Sampling, trajectories and densities through the learned field
ok flow-sample -m full.json -n 20 --steps 4 -o s.npy
ok flow-sample -m full.json -n 10 --solver em --noise linear --sigma 1 --steps 5 -o sde.npy
ok flow-sample -m full.json --class all -n 2 --guidance 2 --steps 4 --png grid.png -o g.npy
ok flow-traj -m full.json -n 3 --steps 4 -o traj.npy
# Sampling splits a batch into pieces of 8 images over the threads: the same bytes at 1 and 2
for t in 1 2; do ok flow-sample -m full.json --class all -n 3 --guidance 2 --steps 3 --seed 5 --threads $t -o th$t.npy; done
check 'cmp -s th1.npy th2.npy' "U-Net samples at 1 and 2 threads differ"
check '$PYTHON -c "
import numpy as np
s, g = np.load(\"s.npy\"), np.load(\"g.npy\")
assert s.shape == (20, 8, 8) and np.isfinite(s).all(), s.shape
assert g.shape == (20, 8, 8) and np.isfinite(g).all(), g.shape
"' "U-Net samples"
check '[ -s grid.png ]' "no class grid"
ok flow-eval logp -m m.json few.npy --steps 3 --divergence exact --bpd --dequantize --summary -o exact.json
ok flow-eval logp -m m.json few.npy --steps 3 --divergence hutchinson --probes 4 --bpd --dequantize --summary -o hutch.json
# The same seed in nats: the same dequantization noise, so bits per dimension must be exactly
# (-log p + d ln(L - 1)) / (d ln 2) of it, with the digits' L = 17 levels and d = 64 (dropping
# the change of scale, or using L for L - 1, misses by 4 or 0.09 bits)
ok flow-eval logp -m m.json few.npy --steps 3 --divergence exact --dequantize --summary -o nats.json
check '$PYTHON -c "
import json, math
e, h, n = (json.load(open(f)) for f in (\"exact.json\", \"hutch.json\", \"nats.json\"))
assert e[\"unit\"] == \"bits/dim\" and n[\"unit\"] == \"nats\", (e, n)
want = (-n[\"mean\"] + 64 * math.log(16)) / (64 * math.log(2))
assert abs(e[\"mean\"] - want) < 1e-4, (e[\"mean\"], want)
assert abs(e[\"mean\"] - h[\"mean\"]) < 1.0, (e, h)
"' "U-Net bits per dimension against its nats ($(cat exact.json nats.json | tr -d '\n '))"

# What the U-Net cannot take
bad 2 "divide by 16" flow-train $base --channels 4,4,4,4,4 --groups 2 --steps 1 -o x.json
bad 2 "multiple of --groups" flow-train $base --channels 4,6 --groups 4 --steps 1 -o x.json
bad 2 "needs images" flow-train --toy moons --net unet --steps 1 -q -o x.json
bad 2 "channels" flow-train $base --channels 4,x --steps 1 -o x.json
finish
