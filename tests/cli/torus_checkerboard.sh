# share/examples/torus-checkerboard.sh --quick: the checkerboard on the torus learned with
# --manifold torus --harmonics 4 shows no seam. The seam figures are the share of (sample,
# angle) pairs within pi/16 of the seam (exactly 1/16 for the data: their marginals are
# uniform) and the share of those samples on the board's filled cells; with 2,000 samples the
# first has a standard error of about 0.004, the second about 0.03. The model must match the
# data's 1/16 within 0.0125 (3 standard errors) and have the same figures at the seam as at the
# cell boundary theta = pi (which the data and the uniform source cannot tell from the seam),
# within 0.0125 and 0.12; and it must have learned the board (more than 65% of the samples in
# those strips on it; the uniform law has 50%). The flat model trained the same way is
# measurably worse: it puts more than 2% of its samples off the square (across the seam once
# wrapped) and is farther from the data in geodesic W2.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
sh_ok "bash '$FLOWKIT_SRC/share/examples/torus-checkerboard.sh' --quick pictures > r.json"
for p in torus flat; do
  size=$($PYTHON "$FLOWKIT_SRC/tests/cli/pictures.py" size pictures/$p.png 2>&1)
  check '[ "$size" = 640x640 ]' "$p.png is not a 640x640 PNG: $size"
done
sh_ok "$PYTHON -c \"
import json
r = json.load(open('r.json'))
t, f, e = r['torus'], r['flat'], r['share_exact']
assert r['mode'] == 'quick' and e == 0.0625 and r['data']['seam_board'] == 1, r
assert abs(t['seam_share'] - e) < 0.0125 and abs(t['seam_share'] - t['mid_share']) < 0.0125, ('a seam', r)
assert abs(t['seam_board'] - t['mid_board']) < 0.12 and t['outside'] == 0, ('a seam', r)
assert min(t['seam_board'], t['mid_board']) > 0.65, ('the board is not learned', r)
assert f['outside'] > 0.02 and f['w2'] > t['w2'], ('the flat model is not worse', r)\""
finish
