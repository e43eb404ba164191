# Class-conditional discrete flows end to end: 30,000 labelled draws of three token tables (L = 2,
# V = 5; class c's table is 0.6 of share/models/discrete-table.json plus 0.4 on its own modal
# cell, so that any two classes are 0.4 apart in total variation) train a conditional network
# with label dropout. flow-sample --class c (50 jump steps) must follow table c: the total variation
# of 10,000 samples within 4 times its floor for 10,000 exact draws, 1/2 sum_x sqrt(2 p(x) / (pi n))
# = 0.0139 (measured 0.024 to 0.031; the training data's own error is about 0.014), while the other
# classes' tables fail that bound (0.41 to 0.42). Guidance on the rates (doc/MATH.md, "Discrete
# flows"): W = 1 gives the bytes of plain --class, W = 0 the bytes of the null label (no
# --class), and W = 3 sharpens the class (the modal cell's share, 0.42 at W = 1, measured 0.85).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
D="$FLOWKIT_SRC/share/models/discrete-table.json"

$PYTHON - <<PY
import json, numpy as np
base = np.array(json.load(open('$D'))['table'], float).ravel()
base /= base.sum()
T = np.array([0.6 * base + 0.4 * np.eye(25)[m] for m in (7, 15, 24)])
rng = np.random.default_rng(0)
y = rng.integers(0, 3, 30000)
cells = np.array([rng.choice(25, p=T[c]) for c in y])
with open('labelled.npy', 'wb') as f:
    np.save(f, np.stack([cells // 5, cells % 5], 1).astype(np.int32))
    np.save(f, y.astype(np.int32))
np.save('tables.npy', T)
PY
ok flow-train labelled.npy --width 64 --batch 256 --lr 5e-3 --warmup 100 -q --threads 1 --steps 1000 --seed 2 \
  --conditional --cond-drop 0.2 -o m.json
n=10000
ok flow-sample -m m.json --class all -n $n --steps 50 --seed 5 -o all.npy
ok flow-sample -m m.json --class all -n $n --steps 50 --seed 5 --guidance 3 -o g3.npy
# stats FILE: per class, the TV against each table and the modal cell's share, as JSON
stats() {
  $PYTHON -c "
import json, numpy as np
T = np.load('tables.npy'); f = open('$1', 'rb'); x = np.load(f); y = np.load(f)
out = []
for c in range(3):
    h = np.bincount(x[y == c, 0] * 5 + x[y == c, 1], minlength=25) / (y == c).sum()
    out.append({'n': int((y == c).sum()), 'tv': [0.5 * np.abs(h - t).sum() for t in T], 'mode': h[(7, 15, 24)[c]]})
print(json.dumps(out))"
}
sh_ok "$PYTHON - <<'PY'
import json, subprocess, numpy as np
T = np.load('tables.npy')
s = json.loads('''$(stats all.npy)''')
for c in range(3):
    bound = 4 * 0.5 * np.sqrt(2 * T[c] / (np.pi * s[c]['n'])).sum()
    assert s[c]['n'] == $n, s
    assert s[c]['tv'][c] < bound, (c, s[c], bound)
    for k in range(3):
        assert k == c or s[c]['tv'][k] > bound, (c, k, s[c], bound)
g = json.loads('''$(stats g3.npy)''')
for c in range(3):
    assert g[c]['mode'] > s[c]['mode'] + 0.2, (c, s[c]['mode'], g[c]['mode'])
PY"
# The labels come after the tokens, n of each class in the order asked for
check '$PYTHON -c "
import numpy as np; f = open(\"all.npy\", \"rb\"); x = np.load(f); y = np.load(f)
assert x.shape == (3 * $n, 2) and (y == np.repeat([0, 1, 2], $n)).all()"' "--class all: the labels' companion array"
ok flow-sample -m m.json --class 2,0 -n 100 --steps 20 --seed 5 -o two.npy
check '$PYTHON -c "
import numpy as np; f = open(\"two.npy\", \"rb\"); x = np.load(f); y = np.load(f)
assert x.shape == (200, 2) and (y == [2] * 100 + [0] * 100).all()"' "--class 2,0: labels in the order asked for"

ok flow-sample -m m.json --class 1 -n 0 -o none.npy
check '$PYTHON -c "
import numpy as np; f = open(\"none.npy\", \"rb\"); assert np.load(f).shape == (0, 2) and np.load(f).shape == (0,)"' \
  "--class with -n 0: empty tokens and empty labels"
sh_ok 'flow-sample -m m.json --class 0,1 -n 2 --steps 10 -f csv | head -1 | grep -qx "x0,x1,label"'

# W = 1 is the plain conditional model, W = 0 the unconditional one (the null label), bit for bit
ok flow-sample -m m.json --class 1 -n 5000 --steps 50 --seed 7 -o c1.npy
ok flow-sample -m m.json --class 1 -n 5000 --steps 50 --seed 7 --guidance 1 -o w1.npy
check 'cmp -s c1.npy w1.npy' "--guidance 1 differs from plain --class"
ok flow-sample -m m.json -n 5000 --steps 50 --seed 7 -o null.npy
ok flow-sample -m m.json --class 1 -n 5000 --steps 50 --seed 7 --guidance 0 -o w0.npy
check 'cmp -s -n $(stat -c %s null.npy) null.npy w0.npy' "--guidance 0 differs from the null label's samples"
check '! cmp -s -n $(stat -c %s null.npy) null.npy c1.npy' "class 1 gave the null label's samples"
# Guided samples do not depend on the thread count
ok flow-sample -m m.json --class all -n 3000 --steps 30 --guidance 2 --corrector 0.5 --threads 1 -o t1.npy
ok flow-sample -m m.json --class all -n 3000 --steps 30 --guidance 2 --corrector 0.5 --threads 2 -o t2.npy
check 'cmp -s t1.npy t2.npy' "guided discrete samples differ between 1 and 2 threads"

# flow-traj --class: (T, n per class times classes, L); its last state is flow-sample's in one chunk
ok flow-traj -m m.json --class 0,2 -n 50 --steps 20 --every 10 --guidance 2 --seed 3 -o traj.npy
ok flow-sample -m m.json --class 0,2 -n 50 --steps 20 --guidance 2 --seed 3 -o last.npy
check '$PYTHON -c "
import numpy as np; f = open(\"traj.npy\", \"rb\"); x = np.load(f); t = np.load(f)
assert x.shape == (3, 100, 2) and list(t) == [0, 0.5, 1], (x.shape, t)
assert (x[0] == 5).all() and (x[-1] < 5).all()
assert (x[-1] == np.load(\"last.npy\")).all()"' "flow-traj --class: shape, times, the mask at t = 0 and flow-sample's last state"

# Bad input: one line each, nothing written
bad 2 "class 3 is out of range: the model has 3 classes \(0..2\)" flow-sample -m m.json --class 3 -o x.npy
bad 2 "--class takes a class number, a list such as 1,3,5, or all; got '1,a'" flow-sample -m m.json --class 1,a -o x.npy
bad 2 "--guidance needs --class" flow-sample -m m.json --guidance 2 -o x.npy
bad 2 "--guidance must be a finite number" flow-sample -m m.json --class 1 --guidance nan -o x.npy
bad 2 "class -1 is out of range" flow-traj -m m.json --class -1 --every 5 -o x.npy
ok flow-train labelled.npy --width 16 --batch 64 -q --steps 2 -o plain.json
bad 2 "--guidance needs a class-conditional model, and plain.json \(discrete .*\) is not" \
  flow-sample -m plain.json --guidance 3 -o x.npy
bad 2 "--class needs a class-conditional model, and plain.json" flow-sample -m plain.json --class 0 --guidance 3 -o x.npy
check '[ ! -e x.npy ]' "a refused run wrote a file"
finish
