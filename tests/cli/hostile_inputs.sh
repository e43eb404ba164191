# Hostile inputs for every program (the table tests/cli/hostile_inputs.tsv): each is one clear
# line on stderr, the row's exit status, nothing on stdout and nothing written: every row runs
# in a fresh empty folder that must still be empty afterwards (no output, no temporary file).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
export FX=$T/fx
mkdir -p "$FX"
cd "$FX"

# The fixtures: good inputs and each way of being bad (made by numpy, and by flow-train)
$PYTHON - <<'PY'
import base64, json, struct
import numpy as np
r = np.random.default_rng(0)
x = r.standard_normal((64, 2)).astype("<f4")
np.save("good.npy", x)
np.save("good3.npy", r.standard_normal((16, 3)).astype("<f4"))
np.save("tiny.npy", x[:5])
np.save("images.npy", r.random((4, 8, 8)).astype("<f4"))
np.save("dim0.npy", np.zeros((5, 0), "<f4"))
with open("labels_short.npy", "wb") as f:
    np.save(f, x); np.save(f, np.zeros(10, "<f4"))
b = open("good.npy", "rb").read()
open("empty.npy", "wb").close()
open("trunc_header.npy", "wb").write(b[:40])
open("trunc_payload.npy", "wb").write(b[:len(b) - 9])
open("magic.npy", "wb").write(b"\x93NUMPZ" + b[6:])
def raw(descr, shape, payload=b""):
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    d += " " * ((64 - (10 + len(d) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode() + payload
open("huge_header.npy", "wb").write(b"\x93NUMPY\x02\x00" + struct.pack("<I", 2_000_000_000) + b"{'descr': ")
big = ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }".ljust(20031) + "\n").encode()
open("big_header.npy", "wb").write(b"\x93NUMPY\x02\x00" + struct.pack("<I", len(big)) + big + b"\0" * 8)
open("c8.npy", "wb").write(raw("<c8", "(2, 2)", b"\0" * 32))
open("object.npy", "wb").write(raw("|O", "(2,)", b"\0" * 16))
open("s10.npy", "wb").write(raw("|S10", "(2,)", b"\0" * 20))
open("overflow.npy", "wb").write(raw("<f4", "(4294967296, 4294967296, 16)", b"\0" * 64))
open("mismatch.npy", "wb").write(raw("<f4", "(1000000, 2)", b"\0" * 64))
y = x.copy(); y[3, 1] = np.nan
np.save("nan.npy", y)
open("ragged.csv", "w").write("1,2\n3,4\n5\n")
open("nonnum.csv", "w").write("1,2\n3,abc\n")
open("emptycell.csv", "w").write("1,,2\n3,4,5\n")  # data with an empty cell, not a header
table = {"format": "flowkit-model", "version": 1, "type": "discrete-table", "vocab": 2, "length": 1,
         "source": "mask", "kappa": "poly:1", "table": [1, 1]}
json.dump(table, open("table.json", "w"))
json.dump(dict(table, table=[1e308, 1e308]), open("table_big.json", "w"))
np.save("tokens.npy", np.array([[0], [1], [1], [0]], "<i4"))
open("lab4.csv", "w").write("x,y,label\n0,0,0\n1,1,1\n2,0,0\n3,3,1\n")
open("halflab.csv", "w").write("x,y,label\n0,0,0.5\n1,1,1\n2,0,1\n")  # 0.5 was rounded to class 1
g = np.stack(np.meshgrid(np.arange(5.0), np.arange(5.0)), -1).reshape(-1, 2)
np.save("heat.npy", np.c_[g, g.sum(1)].astype("<f4"))
open("notrows.json", "w").write('{"a": 1}')
open("binary.bin", "wb").write(b"\x01\x02\x03garbage")
gmm = {"format": "flowkit-model", "version": 1, "type": "gmm", "schedule": "linear",
       "weights": [0.5, 0.5], "means": [[-2, 0], [2, 0]], "variances": [[0.25, 0.25], [0.25, 0.25]]}
json.dump(gmm, open("gmm.json", "w"))
open("trunc_model.json", "w").write(json.dumps(gmm)[:60])
json.dump(dict(gmm, version=99), open("v99.json", "w"))
json.dump(dict(gmm, means=[[-2, 0, 1], [2, 0, 1]]), open("shape_model.json", "w"))
json.dump(dict(gmm, weights=[0.5, -1]), open("negweight.json", "w"))
open("nan_model.json", "w").write(json.dumps(gmm).replace("0.25, 0.25]]", "NaN, 0.25]]"))
json.dump({"format": "something-else", "version": 1}, open("notmodel.json", "w"))
open("overflow_model.json", "w").write('{"format": "flowkit-model", "version": 1, "type": "linear", "A": [[6e89897]]}')
# IDX: a header that disagrees with the size, labels that do not match the images
def idx(shape, payload): return bytes([0, 0, 8, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape) + payload
open("short.idx", "wb").write(idx((3, 4, 4), bytes(40)))
open("images.idx", "wb").write(idx((3, 2, 2), bytes(12)))
open("labels5.idx", "wb").write(idx((5,), bytes(5)))
# PNG folders: images of different sizes, a file that is not an image
import os, zlib
def png(w, h):
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\0" + bytes(w) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
os.makedirs("mixed/a"); os.makedirs("mixed/b"); os.makedirs("broken")
open("mixed/a/1.png", "wb").write(png(4, 4)); open("mixed/b/1.png", "wb").write(png(5, 4))
open("broken/1.png", "wb").write(b"\x89PNG\r\n\x1a\nnot really")
PY
# A learned model, and its corruptions, where flow-train exists
if [ -x "$FLOWKIT_BIN/flow-train" ]; then
  flow-train good.npy --steps 3 --batch 32 --width 16 --depth 1 -q -o learned.json 2>/dev/null ||
    fail "flow-train could not make the learned fixture"
  $PYTHON - <<'PY'
import base64, json
import numpy as np
m = json.load(open("learned.json"))
def write(name, doc): json.dump(doc, open(name, "w"))
nan = json.loads(json.dumps(m))
for key in ("weights", "ema_weights"):
    for t in nan.get(key, []):
        n = len(base64.b64decode(t["data"])) // 4
        t["data"] = base64.b64encode(np.full(n, np.nan, "<f4").tobytes()).decode()
write("learned_nan.json", nan)
huge = json.loads(json.dumps(m)); huge["architecture"]["width"] = 2_000_000_000
write("learned_huge.json", huge)
shape = json.loads(json.dumps(m)); shape["weights"][0]["shape"] = [7, 5]
write("learned_shape.json", shape)
short = json.loads(json.dumps(m)); short["weights"][0]["data"] = short["weights"][0]["data"][:8]
write("learned_short.json", short)
open("learned_trunc.json", "w").write(json.dumps(m)[: len(json.dumps(m)) // 2])
scale = json.loads(json.dumps(m)); scale["normalization"]["scale"][0] = 1e-44  # 1 / scale is inf in float
write("learned_scale.json", scale)
write("learned_poly.json", dict(m, schedule="poly:1e300"))
periodic = json.loads(json.dumps(m)); periodic["architecture"]["periodic"] = True  # angles, off the torus
write("learned_periodic.json", periodic)
PY
  flow-train --convert learned.json -o learned.safetensors 2>/dev/null || fail "flow-train could not convert the fixture"
  $PYTHON - <<'PY'
import json, struct
b = open("learned.safetensors", "rb").read()
(n,) = struct.unpack("<Q", b[:8])
h, data = json.loads(b[8:8 + n]), b[8 + n:]
def write(name, header, body=data, raw=None):
    t = raw if raw is not None else json.dumps(header).encode()
    open(name, "wb").write(struct.pack("<Q", len(t)) + t + body)
def edit(f):
    g = json.loads(json.dumps(h)); f(g); return g
names = [k for k in h if k != "__metadata__"]
first = min(names, key=lambda k: h[k]["data_offsets"][0])
last = max(names, key=lambda k: h[k]["data_offsets"][1])
second = sorted(names, key=lambda k: h[k]["data_offsets"][0])[1]
write("st_notjson.safetensors", None, raw=b"{not json at all}")
open("st_hdrlen.safetensors", "wb").write(struct.pack("<Q", len(b)) + b[8:])
open("st_hdrhuge.safetensors", "wb").write(struct.pack("<Q", 1 << 40) + b[8:])
open("st_tiny.safetensors", "wb").write(b[:5])
open("st_trunc.safetensors", "wb").write(b[: len(b) - 100])
def past(g): g[last]["data_offsets"][1] += 4
write("st_past.safetensors", edit(past))
def overlap(g): g[second]["data_offsets"] = [o - 4 for o in g[second]["data_offsets"]]
write("st_overlap.safetensors", edit(overlap))
def f16(g): g[first]["dtype"] = "F16"
write("st_f16.safetensors", edit(f16))
def i32(g): g[first]["dtype"] = "I32"
write("st_i32.safetensors", edit(i32))
def shape(g): g["weights.in.W"]["shape"] = g["weights.in.W"]["shape"][::-1]
write("st_shape.safetensors", edit(shape))
def nometa(g): del g["__metadata__"]
write("st_nometa.safetensors", edit(nometa))
PY
fi
cd "$T"

# Whether every program of a comma-separated list is built
built() {
  local p
  for p in ${1//,/ }; do [ -x "$FLOWKIT_BIN/$p" ] || return 1; done
}

# Each row: programs (the one tested, then any the fixtures need), status, message pattern,
# command (bash, with $FX the fixtures folder)
skipped=0
row=0
while IFS=$'\t' read -r progs status pat cmd; do
  case "$progs" in ''|'#'*|program) continue ;; esac
  if ! built "$progs"; then skipped=$((skipped + 1)); continue; fi
  row=$((row + 1))
  mkdir "$T/row$row" && cd "$T/row$row"
  bad "$status" "$pat" timeout 120 bash -c "$cmd"  # a hang is one failed row
  left=$(ls -A)
  check '[ -z "$left" ]' "row $row ($cmd) left files: $left"
  cd "$T"
done <"$FLOWKIT_SRC/tests/cli/hostile_inputs.tsv"
echo "$row rows run, $skipped rows skipped (their program is not built)"
check '[ "$row" -gt 0 ]' "no row ran"
finish
