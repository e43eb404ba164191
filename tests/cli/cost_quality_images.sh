#!/usr/bin/env bash
# share/examples/cost-quality.sh's image mode (--reference FILE) in quick mode on a tiny
# class-conditional U-Net trained here: the table it prints is what its own files say. Each
# row's samples are flow-sample's for that solver, grid and steps, its NFE the evaluations of
# that solver, its Frechet distance and kNN agreement flow-eval compare's for those samples
# against the held-out digits the floor did not take; the floor row is real against real: two
# disjoint parts of the reference, the first as large as the samples.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
CQ="$FLOWKIT_SRC/share/examples/cost-quality.sh"

ok flow-data mnist --part train -o train.npy
ok flow-data mnist --part heldout -o heldout.npy
ok flow-train train.npy --net unet --channels 8,16 --groups 4 --embed 16 --batch 16 --steps 30 --lr 0.002 \
  --warmup 5 --dequantize --conditional --cond-drop 0.1 --seed 1 -q -o tiny.json

sh_ok "bash '$CQ' --quick --guidance 2 --out out tiny.json --reference heldout.npy >table.md"
cat table.md

# Every row recomputed from the files the script kept, by flow-eval compare run here
sh_ok "$PYTHON -c \"
import json, subprocess
import numpy as np
t = open('table.md').read()
head = t.splitlines()[0]
assert 'reference heldout.npy (1000 points): 20 samples (2 per class, guidance W = 2) against the other 980' in head, head
rows = [[c.strip() for c in l.split('|')[1:-1]] for l in t.splitlines()[4:]]
assert t.splitlines()[2] == '| solver | grid | steps | NFE | FD | kNN |', t
rows = [r[:5] + [r[5].rstrip('%')] for r in rows]
assert rows[0][0] == 'real (floor)' and len(rows) == 31, rows
def compare(a, b):
    return json.loads(subprocess.run(['flow-eval', 'compare', a, b, '--metrics', 'knn,fd'], check=True,
                                     capture_output=True, text=True).stdout)
cost = {'euler': lambda k: k, 'midpoint': lambda k: 2 * k, 'heun': lambda k: 2 * k, 'rk4': lambda k: 4 * k,
        'ab2': lambda k: k + 1 if k > 1 else 2, 'ab3': lambda k: k + 1 if k > 1 else 2}
seen = set()
for s, g, k, nfe, fd, knn in rows[1:]:
    k = int(k); seen.add((s, g, k))
    name = 'out/%s-%s-%d.npy' % (s, g.replace(':', ''), k)
    j = compare(name, 'out/real-b.npy')
    assert abs(float(fd) - j['fd']) < 1e-4 and abs(float(knn) - 100 * j['knn_agreement']) < 0.05, (s, g, k, fd, knn, j)
    assert j['n_a'] == 20 and j['n_b'] == 980 and j['fd_features'] == 'random', j
    assert int(nfe) == cost[s](k), (s, k, nfe)
    f = open(name, 'rb'); x = np.load(f); y = np.load(f)
    assert x.shape == (20, 28, 28) and sorted(y.astype(int)) == sorted(list(range(10)) * 2), (x.shape, y)
assert seen == {(s, g, k) for s in cost for g in ('uniform', 'power:2') for k in (1, 2, 4) if g == 'uniform' or k > 1}, seen
# the floor: real digits against real digits, the reference cut in two
j = compare('out/real-a.npy', 'out/real-b.npy')
assert abs(float(rows[0][4]) - j['fd']) < 1e-4 and abs(float(rows[0][5]) - 100 * j['knn_agreement']) < 0.05, (rows[0], j)
assert ('FD floor %s ' % rows[0][4]) in head, head
def load(p):
    f = open(p, 'rb'); x = np.load(f); y = np.load(f); return x.reshape(len(x), -1), y
a, b, r = load('out/real-a.npy'), load('out/real-b.npy'), load('heldout.npy')
assert len(a[0]) == 20 and len(b[0]) == 980, (len(a[0]), len(b[0]))
key = lambda x, y: sorted(xi.tobytes() + bytes([int(yi)]) for xi, yi in zip(x, y))
assert key(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])) == key(*r), 'real-a and real-b are not the reference cut in two'
\"" "the table reports flow-eval's figures for its own samples and a real-against-real floor"

# A row's samples are flow-sample's own for its settings: the same bytes drawn here
ok flow-sample -m tiny.json --class all -n 2 --guidance 2 --solver midpoint --grid power:2 --steps 4 --seed 5 -o mp.npy
check 'cmp -s mp.npy out/midpoint-power2-4.npy' "midpoint power:2 4: not flow-sample's samples"

# A MeanFlow model: its own average-velocity steps, one evaluation each, its guidance trained in
ok flow-train train.npy --net unet --channels 8,16 --groups 4 --embed 16 --batch 16 --steps 30 --lr 0.002 \
  --warmup 5 --dequantize --conditional --objective meanflow --mf-guidance 2 --seed 1 -q -o mean.json
sh_ok "bash '$CQ' --quick --out mout mean.json --reference heldout.npy >mtable.md"
check '"$PYTHON" -c "
rows = [[c.strip() for c in l.split(\"|\")[1:-1]] for l in open(\"mtable.md\").read().splitlines()[4:]]
assert [r[:4] for r in rows[1:]] == [[\"meanflow\", g, k, k] for g, k in ((\"uniform\", \"1\"), (\"uniform\", \"2\"),
    (\"uniform\", \"4\"), (\"power:2\", \"2\"), (\"power:2\", \"4\"))], rows"' \
  "cost-quality.sh on a MeanFlow model: want its own steps, one evaluation each ($(cat mtable.md))"
ok flow-sample -m mean.json --class all -n 2 --steps 2 --grid power:2 --seed 5 -o m2.npy
check 'cmp -s m2.npy mout/meanflow-power2-2.npy' "meanflow power:2 2: not flow-sample's samples"
sh_ok "! bash '$CQ' --quick --guidance 2 mean.json --reference heldout.npy 2>err.txt && grep -q 'guidance trained in' err.txt"

# The help says both forms; misuse: one line each
sh_ok "bash '$CQ' --help | grep -q -- '--per-class N. .--guidance W. MODEL --reference FILE'"
sh_ok "! bash '$CQ' --per-class 3 2>err.txt && grep -q 'need --reference' err.txt"
sh_ok "! bash '$CQ' tiny.json --reference nothing.npy 2>err.txt && grep -q \"no reference file 'nothing.npy'\" err.txt"
ok flow-data split heldout.npy --test-fraction 0.01 --seed 1 --test-output small.npy -o rest.npy
sh_ok "! bash '$CQ' --quick tiny.json --reference small.npy 2>err.txt && grep -q '20 samples need a reference of more than 20 points' err.txt"
finish
