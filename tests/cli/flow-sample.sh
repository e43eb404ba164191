# flow-sample: oracle samples land on the mixture, seeds give bytes, SDE, --from, encoding,
# NFE in the log, bounded-memory streaming.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models"
py() { "$PYTHON" -c "$1"; }

# Samples of the 8-Gaussian oracle: mean radius 3, every cluster about 1/8 of the points
ok flow-sample -m "$M/gmm8.json" -n 8000 --solver rk4 --steps 25 --grid cosine -o s.npy
check 'py "
import numpy as np; a = np.load(\"s.npy\"); assert a.shape == (8000, 2), a.shape
r = np.hypot(a[:, 0], a[:, 1]); assert abs(r.mean() - 3) < 0.05, r.mean()
k = np.round(np.arctan2(a[:, 1], a[:, 0]) / (np.pi / 4)) % 8
c = np.bincount(k.astype(int), minlength=8) / len(a); assert np.abs(c - 0.125).max() < 0.02, c"' "rk4 samples are not the 8-Gaussian mixture"

# Same seed, same bytes, whatever the threads; another seed, other bytes
ok flow-sample -m "$M/gmm8.json" -n 20000 --steps 5 --seed 7 --threads 1 -o a.npy
ok flow-sample -m "$M/gmm8.json" -n 20000 --steps 5 --seed 7 --threads 2 -o b.npy
ok flow-sample -m "$M/gmm8.json" -n 20000 --steps 5 --seed 8 -o c.npy
check 'cmp -s a.npy b.npy' "--seed 7 gave different bytes with 1 and 2 threads"
check '! cmp -s a.npy c.npy' "--seed 7 and --seed 8 gave the same bytes"

# Each schedule's oracle, ODE and SDE (score drift)
for m in gmm8 gmm8-cosine gmm8-poly2; do
  for s in "--solver heun --steps 50" "--solver em --steps 300 --noise linear" "--solver em --steps 300 --noise schedule --sigma 0.5"; do
    ok flow-sample -m "$M/$m.json" -n 4000 $s -o x.npy
    check 'py "
import numpy as np; a = np.load(\"x.npy\"); r = np.hypot(a[:, 0], a[:, 1])
assert abs(r.mean() - 3) < 0.06 and r.std() < 0.3, (r.mean(), r.std())"' "$m $s: samples off the circle"
  done
done

# Text formats
ok flow-sample -m "$M/gmm8.json" -n 3 -f csv -o s.csv
check '[ "$(wc -l <s.csv)" = 4 ]' "csv: want a header and 3 rows"
ok flow-sample -m "$M/gmm8.json" -n 2 -f json -o s.json
check 'py "import json; assert len(json.load(open(\"s.json\"))) == 2"' "json: want 2 rows"
ok flow-sample -m "$M/gmm8.json" -n 0 -o empty.npy
check 'py "import numpy as np; assert np.load(\"empty.npy\").shape == (0, 2)"' "-n 0: want shape (0, 2)"

# Encoding: --t0 1 --t1 0 maps the samples back to their noise (dopri5 both ways)
ok flow-sample -m "$M/gmm8.json" -n 500 --solver dopri5 --rtol 1e-6 --atol 1e-6 -o data.npy
ok flow-sample -m "$M/gmm8.json" --from data.npy --t0 1 --t1 0 --solver dopri5 --rtol 1e-6 --atol 1e-6 -o noise.npy
ok flow-sample -m "$M/gmm8.json" -n 500 --solver euler --steps 1 --t1 0 -o start.npy
check 'py "
import numpy as np; e = np.abs(np.load(\"noise.npy\") - np.load(\"start.npy\")).max(); assert e < 5e-3, e"' "encoding did not return the starting noise"
ok flow-sample -m "$M/gmm8.json" --from data.npy -n 10 --t0 1 --t1 0 -o ten.npy
check 'py "import numpy as np; assert np.load(\"ten.npy\").shape == (10, 2)"' "--from with -n 10: want 10 rows"

# The rotation turns points by half a turn: x -> -x
printf '1,0\n0,2\n' >p.csv
ok flow-sample -m "$M/rotation.json" --from p.csv --solver rk4 --steps 20 -f csv -o r.csv
check 'py "
import numpy as np; r = np.loadtxt(\"r.csv\", delimiter=\",\", skiprows=1)
assert np.abs(r - [[-1, 0], [0, -2]]).max() < 1e-4, r"' "rotation.json: rk4 did not turn the points by pi"

# Brownian motion: X_1 = X_0 + sigma W_1, variance 1 + sigma^2
ok flow-sample -m "$M/brownian.json" -n 20000 --solver em --noise constant --sigma 0.5 -o bm.npy
check 'py "
import numpy as np; v = np.load(\"bm.npy\").var(0); assert np.abs(v - 1.25).max() < 0.05, v"' "brownian.json: variance is not 1 + sigma^2"
# g = 0 is the Euler sampler, byte for byte
ok flow-sample -m "$M/gmm8.json" -n 100 --solver euler --steps 30 -o e.npy
ok flow-sample -m "$M/gmm8.json" -n 100 --solver em --noise none --steps 30 -o g0.npy
check 'cmp -s e.npy g0.npy' "em with --noise none differs from euler"

# NFE and steps in the log and on stderr
ok flow-sample -m "$M/gmm8.json" -n 10 --solver rk4 --steps 20 --log log.json -o /dev/null
check 'grep -q "\"nfe\":80" log.json' "rk4, 20 steps: want nfe 80 in the log"
sh_ok "flow-sample -m '$M/gmm8.json' -n 10 --solver dopri5 -o /dev/null --log d.json 2>&1 | cat"
check 'py "
import json; r = [json.loads(l) for l in open(\"d.json\")][-1]
assert r[\"event\"] == \"done\" and r[\"nfe\"] == 6 * (r[\"steps\"] + r[\"rejected\"]) + 2, r"' "dopri5: nfe in the log"

# --png draws the samples
ok flow-sample -m "$M/gmm8.json" -n 500 --png s.png -o /dev/null
check '[ "$(head -c 4 s.png | tail -c 3)" = PNG ]' "--png did not write a PNG"
ok flow-sample -m "$M/gmm8.json" -n 500 --png s.pdf -o /dev/null
check '[ "$(head -c 5 s.pdf)" = %PDF- ]' "--png s.pdf did not write a PDF"

# Streaming with bounded memory: 3 million points through a pipe (a sanitized build, whose
# memory is not the program's, streams 300,000 and does not measure)
big=$([ -n "${FLOWKIT_SANITIZED:-}" ] && echo 300000 || echo 3000000)
sh_ok "/usr/bin/time -f %M -o rss.txt flow-sample -m '$M/gmm8.json' -n $big --steps 1 | wc -c >bytes.txt"
check '[ "$(cat bytes.txt)" = $((128 + big * 8)) ]' "-n $big: wrong byte count $(cat bytes.txt)"
[ -n "${FLOWKIT_SANITIZED:-}" ] ||
  check '[ "$(tail -1 rss.txt)" -lt 100000 ]' "-n $big used $(tail -1 rss.txt) kB of memory"

# The man pages name every choice of the tables behind --help and the error messages
for what in solver noise grid drift; do
  names=$(flow-sample -m "$M/gmm8.json" $([ $what = solver ] || echo --solver em) --$what nonesuch 2>&1 |
    sed -E 's/.*one of ([a-z0-9, ]+).*/\1/; s/,//g')
  check '[ -n "$names" ]' "no list of ${what}s in the error message"
  for n in $names; do
    check 'grep -qE "^\.B $n$" "$FLOWKIT_SRC/man/flow-sample.1"' "flow-sample.1 does not list the $what $n"
    check 'grep -qw -- "$n" "$FLOWKIT_SRC/man/flow-traj.1"' "flow-traj.1 does not name the $what $n"
  done
done
finish
