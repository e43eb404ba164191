# flow-sample --grid power:P and --grid FILE: the times used, the samples they give, and one
# error line for each fault of a file; ab2 and ab3 on the oracle.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
G="$FLOWKIT_SRC/share/models/gmm8.json"
py() { "$PYTHON" -c "$1"; }

# A file of the uniform grid's times gives the uniform grid's bytes; power:2 is quadratic's
printf 't\n0\n0.25\n0.5\n0.75\n1\n' >u.csv
ok flow-sample -m "$G" -n 500 --solver ab3 --steps 4 -o a.npy
ok flow-sample -m "$G" -n 500 --solver ab3 --grid u.csv -o b.npy
check 'cmp -s a.npy b.npy' "--grid u.csv (0, 0.25, .., 1) is not the uniform grid of 4 steps"
ok flow-sample -m "$G" -n 500 --solver midpoint --steps 6 --grid quadratic -o q.npy
ok flow-sample -m "$G" -n 500 --solver midpoint --steps 6 --grid power:2 -o p.npy
check 'cmp -s q.npy p.npy' "power:2 is not the quadratic grid"
# flow-traj records the times it used: power:3's, and a file's (backwards too)
ok flow-traj -m "$G" -n 10 --steps 4 --grid power:3 -o tr.npy
check 'py "
import numpy as np; f = open(\"tr.npy\", \"rb\"); np.load(f); t = np.load(f)
want = 1 - (1 - np.arange(5) / 4) ** 3; assert np.abs(t - want).max() < 1e-6, t"' "flow-traj --grid power:3: wrong times"
printf '1\n0.6\n0.1\n0\n' >back.csv
ok flow-sample -m "$G" -n 50 -o x.npy
ok flow-traj -m "$G" --from x.npy --t0 1 --t1 0 --solver ab2 --grid back.csv -o trb.npy
check 'py "
import numpy as np; f = open(\"trb.npy\", \"rb\"); s = np.load(f); t = np.load(f)
assert s.shape == (4, 50, 2), s.shape; assert np.abs(t - [1, 0.6, 0.1, 0]).max() < 1e-6, t"' "flow-traj --grid back.csv: wrong times"

# ab2 and ab3 sample the 8-Gaussian oracle in 20 evaluations
for s in ab2 ab3; do
  ok flow-sample -m "$G" -n 4000 --solver $s --steps 19 --grid power:1.5 -o s.npy
  check 'py "
import numpy as np; a = np.load(\"s.npy\"); r = np.hypot(a[:, 0], a[:, 1])
assert abs(r.mean() - 3) < 0.06 and r.std() < 0.3, (r.mean(), r.std())"' "$s: samples off the circle"
done

# Every fault of a grid file: one line naming it and the file
printf '0\n0.5\n0.4\n1\n' >down.csv
bad 1 "time grid: times must be strictly increasing, but time 2 is 0.4 after 0.5 \(down.csv\)" flow-sample -m "$G" --grid down.csv
printf '0.1\n0.5\n1\n' >late.csv
bad 1 "time grid: the first time is 0.1, not t0 = 0 \(late.csv\)" flow-sample -m "$G" --grid late.csv
printf '0\n0.5\n0.9\n' >short.csv
bad 1 "time grid: the last time is 0.9, not t1 = 1 \(short.csv\)" flow-sample -m "$G" --grid short.csv
py "import numpy as np; np.save('nan.npy', np.array([0, np.nan, 1], np.float32))"
bad 1 "time grid: time 1 is not finite \(nan.npy\)" flow-sample -m "$G" --grid nan.npy
printf '0\n' >one.csv
bad 1 "time grid: needs at least 2 times, got 1 \(one.csv\)" flow-sample -m "$G" --grid one.csv
printf '0,0\n1,1\n' >two.csv
bad 1 "time grid: one column of times, got shape \(2, 2\) \(two.csv\)" flow-sample -m "$G" --grid two.csv
bad 2 "--steps and --grid FILE: the file's times set the steps" flow-sample -m "$G" --grid u.csv --steps 4
bad 2 "grid power:P needs a finite P > 0, got -1" flow-sample -m "$G" --grid power:-1
bad 2 "bad grid 'power:x': power:P needs a number P > 0" flow-sample -m "$G" --grid power:x
bad 2 "unknown grid 'nofile.csv'; one of uniform, quadratic, cosine, power:P or a file of times" flow-sample -m "$G" --grid nofile.csv

# The cost-quality table: every solver, NFE as flow-sample counts them, W2 near the floor
sh_ok "bash '$FLOWKIT_SRC/share/examples/cost-quality.sh' --quick >cq.md"
check 'py "
import re; t = open(\"cq.md\").read(); floor = float(re.search(r\"floor ([0-9.]+)\", t).group(1))
rows = {(r[0], int(r[1])): (int(r[2]), float(r[3])) for r in re.findall(r\"\\| (\\w+) \\| (\\d+) \\| (\\d+) \\| ([0-9.]+) \\|\", t)}
assert len(rows) == 18, rows
assert rows[(\"ab3\", 4)][0] == 5 and rows[(\"rk4\", 2)][0] == 8 and rows[(\"euler\", 4)][0] == 4, rows
assert rows[(\"rk4\", 4)][1] < 1.1 * floor and rows[(\"euler\", 1)][1] > 3 * floor, (floor, rows)"' "cost-quality.sh --quick: wrong table ($(head -c 300 cq.md))"
finish
