# safetensors model files: flow-train writes one for a .safetensors name, every program reads it,
# --convert goes JSON -> safetensors -> JSON with the same weights bit for bit and the same
# samples, and the Python standard library alone (json, struct) reads its header and tensors,
# which hold the JSON file's base64 weights in C order.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

ok flow-train --toy moons --steps 30 --width 16 --depth 2 -q -o m.json
ok flow-train --toy moons --steps 30 --width 16 --depth 2 -q -o direct.safetensors
ok flow-train --convert m.json -o m.safetensors
ok flow-train --convert m.safetensors -o back.json
# Trained straight to safetensors: the same bytes as the converted JSON model
check 'cmp -s m.safetensors direct.safetensors' "flow-train -o X.safetensors differs from --convert of its JSON model"
check 'cmp -s m.json back.json' "JSON -> safetensors -> JSON is not the same file"
ok flow-sample -m m.json -n 50 --seed 4 -o a.npy
ok flow-sample -m m.safetensors -n 50 --seed 4 -o b.npy
check 'cmp -s a.npy b.npy' "samples from the safetensors file differ from the JSON file's"
ok flow-eval logp -m m.safetensors a.npy -o l1.npy
ok flow-eval logp -m m.json a.npy -o l2.npy
check 'cmp -s l1.npy l2.npy' "log densities from the safetensors file differ"
ok flow-traj -m m.safetensors -n 5 -o traj.npy
# A safetensors file under another name is recognized by its first bytes
cp m.safetensors renamed.model
ok flow-sample -m renamed.model -n 50 --seed 4 -o c.npy
check 'cmp -s a.npy c.npy' "a renamed safetensors file gives other samples"

ok "$PYTHON" - <<'PY'
import base64, json, struct, sys
raw = open("m.safetensors", "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
config = json.loads(header.pop("__metadata__")["flowkit"])
doc = json.load(open("m.json"))
assert config["architecture"] == doc["architecture"] and "weights" not in config
for key, prefix in (("weights", "weights."), ("ema_weights", "ema.")):
    for t in doc[key]:
        e = header[prefix + t["name"]]
        rows, cols = t["shape"]
        assert e["dtype"] == "F32" and e["shape"] == ([rows] if cols == 1 else [rows, cols]), (t["name"], e)
        b, end = e["data_offsets"]
        c_order = struct.unpack("<%df" % (rows * cols), data[b:end])
        col_major = struct.unpack("<%df" % (rows * cols), base64.b64decode(t["data"]))
        # element (r, k): r * cols + k in the file, k * rows + r in the JSON file
        assert all(c_order[r * cols + k] == col_major[k * rows + r] for r in range(rows) for k in range(cols)), t["name"]
print("stdlib: %d tensors match" % (len(header)))
PY
cat "$T/.out"
finish
