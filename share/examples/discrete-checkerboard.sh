#!/usr/bin/env bash
# Discrete flow matching on flow_matching's 2-D example: the checkerboard on a 128 x 128 grid of
# tokens (L = 2 positions, V = 128; uniform on 8,192 cells, entropy ln 8192 = 9.011 nats), an MLP
# of width 128 and 3 layers, kappa = t^2 (poly:2), a uniform source and the generalized-KL loss.
# It prints one JSON object: the ELBO of held-out cells (flow-eval elbo) beside ln 8192 and
# beside the ELBO of the exact posterior of the same path (a discrete-table model of the
# checkerboard: the best any network can do under this bound, which a uniform source leaves
# above the entropy), the same for the network trained from a mask source (whose exact bound is
# the entropy), and the total variation between the histogram of the samples and the true
# cells (flow-eval compare against the 8,192 cells listed once) beside the finite-sample floor,
# the TV of as many fresh true draws; then the wall-clock times. It draws the histogram of the
# samples beside the data's (discrete-checkerboard-samples.png, -data.png).
# Usage: bash share/examples/discrete-checkerboard.sh [--quick] [OUTDIR]  (default OUTDIR:
#   discrete-checkerboard)
#   --quick (or FLOWKIT_QUICK=1): width 64, 1500 steps and 20,000 samples, for the tests.
# A model already in OUTDIR is reused; delete it to train again.
# Measured (2026-12-04, 2 cores of an AMD EPYC, Zen 3, otherwise idle): training 100,000 steps
# 6.8 min wall, the mask model's 10,000 58 s, 10^6 samples of 64 jump steps on the power:3 grid
# 88 s on 2 threads, about 9.8 min in all; ELBO of 10,000 held-out cells 11.13 +- 0.08 (the
# exact posterior's 10.89 +- 0.07: a uniform source's bound lies 1.7-1.9 nats above ln 8192),
# from the mask source 9.031 +- 0.057 (its exact posterior's 8.997 +- 0.055), TV 0.0552 against
# the floor 0.0363 (0.019 above it), no sample off the cells. 60,000 steps: TV 0.061 (--ema
# 0.9999: 0.060); 30,000: 0.074, and on the uniform grid 0.082 with 1.6% off the cells, the
# sampler's O(h) error; --loss ce: 0.085 at 60,000.
# --quick: about 15 s, 1.8% off the cells (10% on the uniform grid).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$root/build/bin" ] && export PATH="$root/build/bin:$PATH"
[ -n "${FLOWKIT_BIN:-}" ] && export PATH="$FLOWKIT_BIN:$PATH"

quick=${FLOWKIT_QUICK:-0}
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
out=${1:-discrete-checkerboard}
mkdir -p "$out"
cd "$out"

path=(--source uniform --kappa poly:2)
if [ "$quick" = 1 ]; then
  mode=quick net=(--width 64 --depth 3 --batch 512 --lr 0.003 --warmup 100)
  train_steps=1500 mask_steps=1500 n=20000 steps=64 elbo_n=1000 strata=8
else
  mode=full net=(--width 128 --depth 3 --batch 1024 --lr 0.002 --warmup 500)
  train_steps=100000 mask_steps=10000 n=1000000 steps=64 elbo_n=10000 strata=16
fi
t_start=$SECONDS

# Data: training cells, held-out cells for the ELBO, fresh true draws for the floor, and the
# 8,192 true cells once each (whose histogram is the exact distribution)
flow-data checkerboard -n 1000000 --levels 128 --seed 1 -o train.npy
flow-data checkerboard -n "$elbo_n" --levels 128 --seed 2 -o heldout.npy
flow-data checkerboard -n "$n" --levels 128 --seed 3 -o fresh.npy
/usr/bin/python3 - <<'PY'
import json
import numpy as np
i = np.arange(128)
on = (i[:, None] // 32 + i[None, :] // 32) % 2 == 0   # the filled squares of the 4 x 4 board
np.save('cells.npy', np.argwhere(on).astype(np.int32))
# The exact posterior of this path, and of the same path from a mask source: discrete-table
# models of the checkerboard
for source, name in (('uniform', 'exact.json'), ('mask', 'exact-mask.json')):
    json.dump({'format': 'flowkit-model', 'version': 1, 'type': 'discrete-table', 'vocab': 128, 'length': 2,
               'source': source, 'kappa': 'poly:2', 'table': (on / on.sum()).ravel().tolist()},
              open(name, 'w'))
PY

# Training (skipped when the model is there)
t0=$SECONDS
if [ -f model.json ]; then echo "discrete-checkerboard: reusing model.json" >&2; else
  flow-train train.npy "${path[@]}" --loss kl "${net[@]}" --steps "$train_steps" --seed 1 -q -o model.json
fi
# The same network from a mask source, whose bound is tight: its exact posterior's ELBO is the
# entropy itself (any order of unmasking is a chain rule), so the ELBO measures the network
if [ -f model-mask.json ]; then echo "discrete-checkerboard: reusing model-mask.json" >&2; else
  flow-train train.npy --source mask --kappa poly:2 --loss kl "${net[@]}" --steps "$mask_steps" --seed 1 -q \
    -o model-mask.json
fi
train_s=$((SECONDS - t0))

# Samples, their histogram against the true cells, and the floor
t0=$SECONDS
# 64 jump steps on a grid dense near t = 1, where the rates kappa'/(1 - kappa) grow (flow-sample(1))
flow-sample -m model.json -n "$n" --steps "$steps" --grid power:3 --seed 4 -q -o samples.npy
sample_s=$((SECONDS - t0))
flow-eval compare samples.npy cells.npy -o tv.json
flow-eval compare fresh.npy cells.npy -o floor.json

# The ELBO of held-out cells: the networks' and the exact posteriors' (one seed: the same times
# and the same x_t for a network and its exact posterior)
t0=$SECONDS
flow-eval elbo -m model.json heldout.npy --strata "$strata" --seed 5 -o elbo.json
flow-eval elbo -m exact.json heldout.npy --strata "$strata" --seed 5 -o elbo-exact.json
flow-eval elbo -m model-mask.json heldout.npy --strata "$strata" --seed 5 -o elbo-mask.json
flow-eval elbo -m exact-mask.json heldout.npy --strata "$strata" --seed 5 -o elbo-mask-exact.json
elbo_s=$((SECONDS - t0))

# The pictures: the histograms of the samples and of as many true draws, one bin per cell
for s in samples fresh; do
  name=$([ $s = samples ] && echo samples || echo data)
  flow-plot "$s.npy" --kind hist --bins 128 --range 0:128 --title "checkerboard, 128 x 128 tokens: $name" \
    -q -o "discrete-checkerboard-$name.png"
done

/usr/bin/python3 - "$mode" "$n" "$steps" "$train_s" "$sample_s" "$elbo_s" "$((SECONDS - t_start))" <<'PY'
import json, math, sys
mode, n, steps, train_s, sample_s, elbo_s, total_s = sys.argv[1], *map(int, sys.argv[2:])
e, x = json.load(open('elbo.json')), json.load(open('elbo-exact.json'))
em, xm = json.load(open('elbo-mask.json')), json.load(open('elbo-mask-exact.json'))
tv, floor = json.load(open('tv.json')), json.load(open('floor.json'))
assert tv['histogram'] == 'joint' and tv['cells'] == 128 ** 2
r = lambda v: round(v, 4)
print(json.dumps({'mode': mode, 'entropy': r(math.log(8192)),
                  'elbo': r(e['elbo_nats']), 'elbo_stderr': r(e['elbo_nats_stderr']),
                  'elbo_exact_posterior': r(x['elbo_nats']), 'elbo_exact_stderr': r(x['elbo_nats_stderr']),
                  'elbo_mask': r(em['elbo_nats']), 'elbo_mask_stderr': r(em['elbo_nats_stderr']),
                  'elbo_mask_exact_posterior': r(xm['elbo_nats']), 'elbo_mask_exact_stderr': r(xm['elbo_nats_stderr']),
                  'samples': n, 'steps': steps, 'grid': 'power:3', 'tv': r(tv['tv']), 'tv_floor': r(floor['tv']),
                  'off_cells': r(tv['a_outside_b']),
                  'train_wall_s': train_s, 'sample_wall_s': sample_s, 'elbo_wall_s': elbo_s, 'total_wall_s': total_s}))
PY
