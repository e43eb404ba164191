# flow-sample --pairs and flow-train --pairs: the layout, the noise is the sampler's own, the
# labels travel with their pairs, every misuse is one error line; share/examples/reflow.sh
# --quick straightens the paths and makes one Euler step as good as the floor.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models"
G="$M/gmm8.json"
py() { "$PYTHON" -c "$1"; }

# (n, 2, d): [i, 1] are the plain samples of the same seed, [i, 0] the noise they came from
ok flow-sample -m "$G" -n 3000 --solver euler --steps 1 --seed 4 -o plain.npy
ok flow-sample -m "$G" -n 3000 --solver euler --steps 1 --seed 4 --pairs -o pairs.npy
check 'py "
import numpy as np; p = np.load(\"pairs.npy\"); s = np.load(\"plain.npy\")
assert p.shape == (3000, 2, 2), p.shape; assert (p[:, 1] == s).all()
np.save(\"noise.npy\", p[:, 0]); z = p[:, 0]; assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.03"' "--pairs: not (noise, the same samples)"
ok flow-sample -m "$G" --from noise.npy --solver euler --steps 1 -o again.npy
check 'cmp -s plain.npy again.npy' "--pairs: [i, 0] is not the noise the sample came from"
# Text: rows of 2d numbers, the start point first; --from points are the start points
ok flow-sample -m "$G" --from noise.npy -n 3 --pairs -f csv -o p.csv
check 'py "
import numpy as np; p = np.loadtxt(\"p.csv\", delimiter=\",\", skiprows=1); z = np.load(\"noise.npy\")[:3]
assert p.shape == (3, 4), p.shape; assert np.abs(p[:, :2] - z).max() < 1e-6"' "--pairs -f csv: want rows [noise, sample]"
# ... whose header (p0_0, p0_1, p1_0, p1_1) gives the pairs' shape back: flow-train --pairs reads
# its own CSV (rows of x0..x3 were read as (n, 4) and refused)
check 'head -1 p.csv | grep -qx "p0_0,p0_1,p1_0,p1_1"' "--pairs -f csv: want the header p0_0,p0_1,p1_0,p1_1, got $(head -1 p.csv)"
ok flow-sample -m "$G" -n 64 --solver euler --steps 2 --seed 4 --pairs -f csv -o pairs64.csv
ok flow-train --pairs pairs64.csv --steps 2 --batch 32 --width 8 --depth 1 -q -o from-csv.json
# Classes travel with the pairs into training
ok flow-sample -m "$M/gmm8-classes.json" -n 500 --class all --solver midpoint --steps 20 --pairs -o cp.npy
check 'py "
import numpy as np; f = open(\"cp.npy\", \"rb\"); p = np.load(f); y = np.load(f)
assert p.shape == (4000, 2, 2) and y.shape == (4000,), (p.shape, y.shape)"' "--pairs --class: want (n, 2, d) with labels"
ok flow-train --pairs cp.npy --conditional --steps 300 --width 32 --depth 2 -q -o cm.json
check 'py "
import json; t = json.load(open(\"cm.json\"))[\"training\"]; assert t[\"coupling\"] == \"pairs\", t"' "the model does not record the pairs coupling"
ok flow-sample -m cm.json -n 10 --class 3 -o c3.npy

# Misuse: one line each
bad 2 "--pairs and --logp: give one of them" flow-sample -m "$G" --pairs --logp
bad 2 "no data or --toy besides" flow-train --pairs pairs.npy plain.npy
bad 2 "no data or --toy besides" flow-train --pairs pairs.npy --toy moons
bad 2 "no --source" flow-train --pairs pairs.npy --source plain.npy
bad 2 "--pairs fixes the coupling; drop --coupling ot" flow-train --pairs pairs.npy --coupling ot
bad 2 "--coupling pairs needs --pairs FILE" flow-train --toy moons --coupling pairs --steps 10
bad 1 "plain.npy: expected pairs \(n, 2, d\) or \(n, 2, H, W\[, C\]\) from flow-sample --pairs, got shape \(3000, 2\)" flow-train --pairs plain.npy
py "import numpy as np; p = np.load('pairs.npy'); p[7, 0, 1] = np.nan; np.save('nan.npy', p)"
bad 1 "nan.npy: the start point of pair 7 holds a NaN or Inf" flow-train --pairs nan.npy --steps 10
bad 1 "cannot open" flow-train --pairs none.npy

# The example: teacher -> pairs -> 2-rectified flow
sh_ok "bash '$FLOWKIT_SRC/share/examples/reflow.sh' --quick >r.json"
check 'py "
import json; r = json.load(open(\"r.json\")); t, s, f = r[\"teacher\"], r[\"student\"], r[\"w2_floor\"]
assert s[\"straightness\"] > 0.98 and s[\"straightness\"] > t[\"straightness\"] + 0.1, r
assert s[\"w2_euler_1\"] < 1.5 * f and s[\"w2_euler_1\"] < t[\"w2_euler_1\"] / 3, r"' "reflow.sh --quick: reflow did not straighten the paths ($(cat r.json 2>/dev/null))"
finish
