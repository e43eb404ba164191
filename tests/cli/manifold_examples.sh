# share/examples/sphere.sh and torus.sh in their --quick modes: a vMF mixture on S^2 and a von
# Mises mixture on the torus, each trained briefly; the learned density's NLL on test points
# is near the exact entropy and the samples stay on the sphere.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
for ex in sphere torus; do
  sh_ok "bash '$FLOWKIT_SRC/share/examples/$ex.sh' --quick > $ex.json"
  sh_ok "/usr/bin/python3 -c \"
import json, math
r = json.load(open('$ex.json'))
assert r['mode'] == 'quick' and math.isfinite(r['nll']), r
assert abs(r['gap']) < 0.3, r  # a short run; the full one reaches 0.05 (README)
assert r.get('max_norm_error', 0) < 1e-5, r\""
done
finish
