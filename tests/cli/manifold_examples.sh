# share/examples/sphere.sh and torus.sh in their --quick modes: a vMF mixture on S^2 and a von
# Mises mixture on the torus, each trained briefly; the learned density's NLL on test points
# is near the exact entropy and the samples stay on the sphere; each draws its four pictures
# (the maps of the sphere twice as wide as high, the torus's square and the globe square).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
for ex in sphere torus; do
  sh_ok "bash '$FLOWKIT_SRC/share/examples/$ex.sh' --quick pictures-$ex > $ex.json"
  for p in density exact samples paths; do
    want=640x640 && [ $ex = sphere ] && [ $p != paths ] && want=640x360
    size=$($PYTHON "$FLOWKIT_SRC/tests/cli/pictures.py" size pictures-$ex/$p.png 2>&1)
    check '[ "$size" = $want ]' "$ex.sh: $p.png is not a $want PNG: $size"
  done
  sh_ok "/usr/bin/python3 -c \"
import json, math
r = json.load(open('$ex.json'))
assert r['mode'] == 'quick' and math.isfinite(r['nll']), r
assert abs(r['gap']) < 0.3, r  # a short run; the full one reaches 0.05 (README)
assert r.get('max_norm_error', 0) < 1e-5, r\""
done
finish
