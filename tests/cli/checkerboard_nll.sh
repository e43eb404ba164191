# share/examples/checkerboard-nll.sh in quick mode: one JSON object with the mean NLL of fresh
# checkerboard points and the share of samples on the cells. README claims, for the full run,
# NLL 3.586 against the entropy log 32 = 3.466 and 92.9% on the cells; quick mode measured NLL
# 3.79-3.83 (standard error 0.018) and 80-82% (three training seeds). Bounds: the NLL is not
# below the entropy less three standard errors (no density beats it on fresh points) and
# below 4.0 (a uniform density on the board's square [-4, 4]^2 has log 64 = 4.16); at least
# 70% of the samples on the cells (a uniform density on the square puts 50% there).
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
assert math.log(32) - 3 * r["stderr"] < r["nll"] < 4.0, r
assert abs(r["gap"] - (r["nll"] - r["entropy"])) < 1e-3, r
assert 0.7 <= r["on_cells"] <= 1, r
EOF' "checkerboard-nll output is not a sound NLL figure: $(cat nll.json)"
finish
