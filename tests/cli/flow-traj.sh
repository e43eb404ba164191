# flow-traj: (T, n, d) states and (T,) times, --every, the same end points as flow-sample,
# dopri5's accepted steps, JSON {"times", "states"}, pictures.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models"
py() { "$PYTHON" -c "$1"; }

# 10 steps, every 3rd state and the last: times 0, .3, .6, .9, 1
ok flow-traj -m "$M/gmm8.json" -n 50 --solver heun --steps 10 --every 3 -o t.npy
check 'py "
import numpy as np; f = open(\"t.npy\", \"rb\"); s = np.load(f); t = np.load(f)
assert s.shape == (5, 50, 2), s.shape
assert np.allclose(t, [0, 0.3, 0.6, 0.9, 1]), t"' "--every 3 of 10 steps: want 5 states at 0, .3, .6, .9, 1"

# The last state is what flow-sample draws with the same seed and flags (several chunks, threads)
ok flow-traj -m "$M/gmm8.json" -n 20000 --solver rk4 --steps 8 --seed 3 --threads 2 -o big.npy
ok flow-sample -m "$M/gmm8.json" -n 20000 --solver rk4 --steps 8 --seed 3 -o end.npy
check 'py "
import numpy as np; s = np.load(\"big.npy\"); e = np.load(\"end.npy\")
assert s.shape == (9, 20000, 2) and (s[-1] == e).all()"' "flow-traj's last state differs from flow-sample"

# The first state is N(0, I) noise; the SDE path too
ok flow-traj -m "$M/gmm8-cosine.json" -n 4000 --solver em --steps 50 --every 10 -o sde.npy
check 'py "
import numpy as np; s = np.load(\"sde.npy\"); assert s.shape == (6, 4000, 2)
assert abs(s[0].std() - 1) < 0.05 and abs(np.hypot(*s[-1].T).mean() - 3) < 0.06"' "SDE trajectory: wrong start or end"

# dopri5 records its accepted steps: increasing times from 0 to 1
ok flow-traj -m "$M/gmm8.json" -n 100 --solver dopri5 --rtol 1e-4 --atol 1e-4 -o d.npy
check 'py "
import numpy as np; f = open(\"d.npy\", \"rb\"); s = np.load(f); t = np.load(f)
assert s.shape == (len(t), 100, 2) and t[0] == 0 and t[-1] == 1 and (np.diff(t) > 0).all() and len(t) > 3, t"' "dopri5 steps"

# Backwards (encoding) from given points, in JSON
printf '3,0\n0,3\n' >p.csv
ok flow-traj -m "$M/gmm8.json" --from p.csv --t0 1 --t1 0 --steps 4 -f json -o e.json
check 'py "
import json; j = json.load(open(\"e.json\")); assert j[\"times\"] == [1, 0.75, 0.5, 0.25, 0], j[\"times\"]
assert len(j[\"states\"]) == 5 and j[\"states\"][0] == [[3, 0], [0, 3]]"' "JSON trajectory: want times and states from the --from points"

# Pictures, and errors
ok flow-traj -m "$M/rotation.json" -n 30 --steps 20 --png rot.png -o /dev/null
check '[ "$(head -c 4 rot.png | tail -c 3)" = PNG ]' "--png did not write a PNG"
bad 2 "--every must be at least 1" flow-traj -m "$M/gmm8.json" --every 0
bad 2 "unknown solver 'rk5'" flow-traj -m "$M/gmm8.json" --solver rk5
bad 2 "too large" flow-traj -m "$M/gmm8.json" -n 100000000 --steps 1000
finish
