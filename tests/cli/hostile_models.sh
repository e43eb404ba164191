#!/usr/bin/env bash
# Hostile model files (issue 22): a few kilobytes that declare a huge architecture are refused
# with one line before anything the size of that architecture is allocated (peak resident
# memory measured), in JSON and in safetensors; a 'shape' whose product wraps around 2^64 is
# refused; a renamed safetensors file is read as safetensors whatever its header's length.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

# A tiny U-Net model on 4 x 4 images, in both forms
$PYTHON -c "
import numpy as np
np.save('img.npy', np.random.default_rng(0).random((64, 4, 4)).astype(np.float32))"
ok flow-train img.npy --net unet --channels 4,8 --groups 2 --embed 8 --batch 16 --steps 2 -q -o tiny.json
ok flow-train --convert tiny.json -o tiny.safetensors

# The same files with architecture.channels edited to [2048, 4096]: 1.2 * 10^8 parameters,
# half a gigabyte of floats, declared by a file of a few kilobytes
$PYTHON - <<'PY'
import json, struct
j = json.load(open('tiny.json'))
j['architecture']['channels'] = [2048, 4096]
json.dump(j, open('huge.json', 'w'))
b = open('tiny.safetensors', 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
meta = json.loads(h['__metadata__']['flowkit'])
meta['architecture']['channels'] = [2048, 4096]
h['__metadata__']['flowkit'] = json.dumps(meta)
t = json.dumps(h).encode()
t += b' ' * (-len(t) % 8)
open('huge.safetensors', 'wb').write(struct.pack('<Q', len(t)) + t + b[8 + n:])
PY
check '[ "$(stat -c %s huge.json)" -lt 100000 ]' "the hostile JSON model is not small ($(stat -c %s huge.json) bytes)"
# the programs' own peak on the good file, and on the hostile ones
peak() { /usr/bin/time -f %M -o "$1" "${@:2}" >/dev/null 2>"$1.err"; }
peak good.rss flow-sample -m tiny.json -n 4 -q -o /dev/null
for f in huge.json huge.safetensors; do
  bad 1 "has shape \[.*\], expected \[" flow-sample -m "$f" -n 4 -o s.npy
  check '[ ! -e s.npy ]' "an output was written for $f"
  peak "$f.rss" flow-sample -m "$f" -n 4 -o s.npy
  good=$(tail -n 1 good.rss) got=$(tail -n 1 "$f.rss")
  echo "$f: peak $got KB (a good model: $good KB)"
  # half a gigabyte would be allocated from the declared architecture; allow 32 MB over a good load
  check "[ $got -le $((good + 32768)) ]" "$f: peak memory $got KB against $good KB for a good model: allocated before checking"
done

# Network settings are checked before their weights are allocated: --time-freqs 2,000,000 (the
# limit is 64) would first ask for 2 GB of weights, then print its usage error
ok flow-data moons -n 256 -o pts.npy
bad 2 "--time-freqs must be in 0..64" flow-train pts.npy --time-freqs 2000000 --steps 1 --batch 8 -q -o m.json
peak freqs.rss flow-train pts.npy --time-freqs 2000000 --steps 1 --batch 8 -q -o m.json
got=$(tail -n 1 freqs.rss)
echo "--time-freqs 2000000: peak $got KB (a good model's sampling: $good KB)"
check "[ $got -le $((good + 32768)) ]" "--time-freqs 2000000: peak memory $got KB: allocated before checking"

# A shape whose product wraps around 2^64 to 'dim' ((2^63 + 1) x 16 = 16 mod 2^64)
$PYTHON -c "
import json
j = json.load(open('tiny.json'))
j['shape'] = [2**63 + 1, 16]
json.dump(j, open('wrap.json', 'w'))"
bad 1 "'shape' .* does not hold 'dim' 16 values" flow-sample -m wrap.json -n 4 -o s.npy

# A renamed safetensors file, for header lengths of every residue mod 256 (the length's low
# byte is the file's first: 0 and 32 also open a C string's end and JSON's whitespace)
$PYTHON - <<'PY'
import json, struct
b = open('tiny.safetensors', 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = b[8:8 + n].rstrip(b' ')
for r in range(0, 256, 8):      # the writer pads to multiples of 8: 32 residues cover its files
    L = len(h) + ((r - len(h)) % 256)
    open('renamed%d.model' % r, 'wb').write(struct.pack('<Q', L) + h + b' ' * (L - len(h)) + b[8 + n:])
PY
ok flow-sample -m tiny.json -n 8 --seed 1 -o want.npy
for f in renamed*.model; do
  ok flow-sample -m "$f" -n 8 --seed 1 -o got.npy
  check 'cmp -s want.npy got.npy' "$f (a renamed safetensors file) gives other samples"
done
finish
