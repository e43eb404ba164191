# share/examples/sphere-checkerboard.sh --quick: flow_matching's checkerboard wrapped onto the
# sphere, learned briefly. The samples stay on the sphere (|x| = 1 within 1e-5), more than 40%
# of them lie on the board's filled cells (the data: all; the uniform law: 14.3%; the standard
# error with 2,000 samples is about 0.011) and their geodesic W2 to fresh data is within 0.1 of
# the floor of two fresh data sets (the uniform law's is 0.91).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
sh_ok "bash '$FLOWKIT_SRC/share/examples/sphere-checkerboard.sh' --quick pictures > r.json"
for p in samples data; do
  size=$($PYTHON "$FLOWKIT_SRC/tests/cli/pictures.py" size pictures/$p.png 2>&1)
  check '[ "$size" = 640x640 ]' "$p.png is not a 640x640 PNG: $size"
done
sh_ok "$PYTHON -c \"
import json
r = json.load(open('r.json'))
assert r['mode'] == 'quick' and r['on_board_data'] == 1 and r['max_norm_error'] < 1e-5, r
assert r['on_board'] > 0.4, ('the board is not learned', r)
assert r['w2_floor'] < r['w2'] < r['w2_floor'] + 0.1, r\""
finish
