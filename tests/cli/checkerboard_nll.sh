# share/examples/checkerboard-nll.sh in quick mode: one JSON object with the mean NLL of fresh
# checkerboard points, finite and not below the entropy log 32 (less a margin for the
# standard error: no density beats the entropy on fresh points), and the gap consistent.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

check 'FLOWKIT_QUICK=1 bash "$FLOWKIT_SRC/share/examples/checkerboard-nll.sh" >nll.json 2>nll.err' \
  "checkerboard-nll.sh failed: $(cat nll.err 2>/dev/null)"
check '[ "$(wc -l <nll.json)" = 1 ]' "want one line of output, got: $(cat nll.json)"
check '$PYTHON - nll.json <<EOF
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "quick" and r["points"] == 1000 and r["solver"] == "rk4", r
assert abs(r["entropy"] - math.log(32)) < 1e-4, r
assert math.isfinite(r["nll"]) and math.isfinite(r["stderr"]) and r["stderr"] > 0, r
assert r["nll"] > math.log(32) - 0.05, r
assert abs(r["gap"] - (r["nll"] - r["entropy"])) < 1e-3, r
assert 0 <= r["on_cells"] <= 1, r
EOF' "checkerboard-nll output is not a sound NLL figure: $(cat nll.json)"
finish
