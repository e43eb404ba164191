#!/usr/bin/env bash
# flow-eval logp against an oracle that shares no code with it (issue 22): the flow map
# x0 -> x1 of `flow-sample --from` (rk4, 200 steps) and its Jacobian by central differences
# give log p(x1) = log N(x0; 0, I) - log |det dx1/dx0|. A U-Net that predicts velocity, noise or
# data, and an MLP, must agree with it to a few thousandths of a nat per
# dimension, with the exact divergence and (within its noise) with Hutchinson's. Before the fix
# the noise- and data-predicting U-Nets were off by 6 and 10^5 nats per dimension.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

$PYTHON -c "
import numpy as np
r = np.random.default_rng(0)
np.save('img.npy', (0.5 + 0.2 * r.standard_normal((256, 4, 4))).astype(np.float32))
x0 = r.standard_normal((4, 16)).astype(np.float32)
eps = 3e-3
# each start point, then its 32 perturbations (+eps, -eps along each of the 16 coordinates)
pts = []
for p in x0:
    pts.append(p)
    for i in range(16):
        for s in (eps, -eps):
            q = p.copy(); q[i] += s; pts.append(q)
np.save('starts.npy', np.array(pts, dtype=np.float32))
np.save('x0.npy', x0)"
solve="--solver rk4 --steps 200 --threads 1"
# Hutchinson's check is about its mean, not the solver: fewer steps and probes keep it cheap
# (its error here is ~2e-3 nats per dimension against a 0.1 bound; the bugs it guards were 6 and
# more)
hsolve="--solver rk4 --steps 100 --threads 1"
unet="img.npy --net unet --channels 4,8 --groups 2 --embed 8 --batch 32 --steps 30 --threads 1 -q"
for kind in velocity noise data; do ok flow-train $unet --predict $kind -o unet-$kind.json; done
ok flow-train img.npy --width 32 --depth 2 --batch 64 --steps 50 --threads 1 -q -o mlp-velocity.json

for m in unet-velocity unet-noise unet-data mlp-velocity; do
  ok flow-sample -m $m.json --from starts.npy -n 132 $solve -o mapped-$m.npy
  # the four start points' images alone (every 33rd row)
  ok $PYTHON -c "import numpy as np; np.save('ends-$m.npy', np.load('mapped-$m.npy')[0::33])"
  ok flow-eval logp -m $m.json ends-$m.npy $solve --divergence exact -o exact-$m.npy
  ok flow-eval logp -m $m.json ends-$m.npy $hsolve --divergence hutchinson --probes 16 -o hutch-$m.npy
  check "$PYTHON - $m <<'PY'
import numpy as np, sys
m = sys.argv[1]
eps, d = 3e-3, 16
y = np.load('mapped-%s.npy' % m).reshape(4, 33, d).astype(np.float64)
x0 = np.load('x0.npy').astype(np.float64)
oracle = []
for k in range(4):
    J = np.stack([(y[k, 1 + 2 * i] - y[k, 2 + 2 * i]) / (2 * eps) for i in range(d)], axis=1)
    logn = -0.5 * (x0[k] ** 2).sum() - 0.5 * d * np.log(2 * np.pi)
    oracle.append(logn - np.linalg.slogdet(J)[1])
oracle = np.array(oracle)
exact = np.load('exact-%s.npy' % m).ravel()
hutch = np.load('hutch-%s.npy' % m).ravel()
e, h = np.abs(exact - oracle).max() / d, abs(hutch.mean() - oracle.mean()) / d
print('%s: oracle %s, exact off by %.2e, Hutchinson by %.2e nats per dimension' % (m, np.round(oracle, 3), e, h))
sys.exit(not (e < 2e-3 and h < 0.1))
PY" "$m: flow-eval logp disagrees with the Jacobian oracle"
done
finish
