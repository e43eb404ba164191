#!/usr/bin/env bash
# share/examples/predictions.sh in quick mode: three tiny U-Nets (--predict velocity, noise,
# data) train, and the table it prints is what its own files say: each row's bits per dimension
# and Frechet distance are those of the model's flow-eval output, and the floor row is real
# against real.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

sh_ok "bash '$FLOWKIT_SRC/share/examples/predictions.sh' --quick out > table.txt"
cat table.txt
sh_ok "$PYTHON -c \"
import json
rows = [l.split() for l in open('table.txt') if l.strip()]
assert rows[0][0] == 'predict' and [r[0] for r in rows[1:]] == ['velocity', 'noise', 'data', 'real'], rows
for r in rows[1:4]:
    bpd = json.load(open('out/bpd-%s.json' % r[0])); cmp = json.load(open('out/knn-%s.json' % r[0]))
    assert abs(float(r[2]) - bpd['mean']) < 1e-4 and abs(float(r[5]) - cmp['fd']) < 1e-3, (r, bpd, cmp)
    assert cmp['fd_features'] == 'random' and cmp['n_a'] == 20, cmp
floor = json.load(open('out/fd-floor.json'))
assert abs(float(rows[4][5]) - floor['fd']) < 1e-3 and floor['n_a'] == 20 and floor['n_b'] == 980, floor
\"" "the table reports the models' own bits per dimension, Frechet distances and the real floor"
finish
