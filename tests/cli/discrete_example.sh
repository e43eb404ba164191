#!/usr/bin/env bash
# share/examples/discrete-checkerboard.sh in quick mode (width 64, 1500 steps, 20,000 samples):
# it runs, prints its report and draws its two histograms, and the model learned: under 5% of
# its samples fall off the checkerboard's 8,192 cells (measured 1.8% on the power:3 grid, 10% on
# the uniform one; an untrained network's, near uniform on the 16,384 cells, about 50%), and the
# exact posterior's ELBO lies above ln 8192 (the bound, loose with a uniform source).
source "$FLOWKIT_SRC/tests/cli/lib.sh"

sh_ok "bash '$FLOWKIT_SRC/share/examples/discrete-checkerboard.sh' --quick out > report.json"
cat report.json
for p in samples data; do
  check "[ \"\$(head -c 4 out/discrete-checkerboard-$p.png | tail -c 3)\" = PNG ]" "discrete-checkerboard-$p.png is not a PNG"
done
sh_ok "$PYTHON - <<'PY'
import json, math
r = json.loads(open('report.json').read().strip().splitlines()[-1])
assert r['mode'] == 'quick' and r['samples'] == 20000, r
assert r['off_cells'] < 0.05, r
assert 0 < r['tv_floor'] < r['tv'] < 1, r
assert r['elbo_exact_posterior'] > math.log(8192) + 1, r
assert abs(r['elbo_mask_exact_posterior'] - math.log(8192)) < 3 * r['elbo_mask_exact_stderr'], r
assert r['elbo_mask'] > r['elbo_mask_exact_posterior'], r
assert abs(r['entropy'] - 9.0109) < 1e-4, r
PY"
finish
