# flow-eval: bad input gives one error line, the right exit status and no output.
source "$FLOWKIT_SRC/tests/cli/lib.sh"

printf '{"format": "flowkit-model", "version": 1, "type": "gmm", "schedule": "linear",
  "weights": [1], "means": [[0, 0]], "variances": [[1, 1]]}' >g.json
/usr/bin/python3 -c "
import numpy as np
np.save('p3.npy', np.zeros((5, 3), np.float32)); np.save('p2.npy', np.ones((6, 2), np.float32))
np.save('empty.npy', np.zeros((0, 2), np.float32))
x = np.ones((6, 2), np.float32); x[3, 1] = np.nan; np.save('nan.npy', x)
t = np.zeros((3, 4, 2), np.float32); t[1, 2, 0] = np.inf; np.save('badtraj.npy', t)
"
bad 2 "not expected|subcommand" flow-eval frobnicate
bad 2 "subcommand" flow-eval
bad 1 "dimension 3 for a model of dimension 2" flow-eval logp -m g.json p3.npy
bad 1 "dimension 3 for a model of dimension 2" flow-eval field -m g.json --t 0.5 p3.npy
bad 1 "no points" flow-eval logp -m g.json empty.npy
bad 1 "NaN|Inf|finite" flow-eval logp -m g.json nan.npy
bad 1 "NaN|Inf|finite" flow-eval compare nan.npy p2.npy
bad 1 "NaN|Inf|finite" flow-eval paths badtraj.npy
bad 1 "no points" flow-eval compare empty.npy p2.npy
bad 1 "different dimensions" flow-eval compare p3.npy p2.npy
bad 2 "unknown metric 'w3'; one of w2, energy" flow-eval compare p2.npy p2.npy --metrics w2,w3
bad 2 "unknown solver 'rk5'" flow-eval logp -m g.json p2.npy --solver rk5
bad 2 "unknown divergence 'trace'" flow-eval logp -m g.json p2.npy --divergence trace
bad 2 "unknown quantity 'speed'" flow-eval field -m g.json --t 0.5 --what speed p2.npy
bad 2 "--t" flow-eval field -m g.json p2.npy
bad 2 "--t must be in" flow-eval field -m g.json --t 1.5 p2.npy
bad 2 "--projections" flow-eval compare p2.npy p2.npy --projections 0
bad 1 "no Jacobian-vector product" flow-eval logp -m g.json p2.npy --divergence hutchinson
bad 1 "knn needs labels" flow-eval compare p2.npy p2.npy --metrics knn
bad 1 "trajectory of shape" flow-eval paths p2.npy
bad 1 "missing|No such|cannot open|not found" flow-eval logp -m nothere.json p2.npy
bad 2 "only one of A and B" flow-eval compare - -

# A bridge model (trained from a data set, not N(0, I)) has no source density
ok flow-data moons -n 500 -o moons.npy
ok flow-data gaussian -n 500 -o src.npy
ok flow-train moons.npy --source src.npy --steps 20 --batch 64 --width 16 --depth 1 -o bridge.json
bad 1 "source has no density" flow-eval logp -m bridge.json p2.npy
check '[ ! -e out.npy ]' "no output file"
bad 1 "source has no density" flow-eval logp -m bridge.json p2.npy -o out.npy
check '[ ! -e out.npy ]' "an error leaves no output file"
finish
