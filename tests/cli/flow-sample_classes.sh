# flow-sample --class and --guidance on the class-conditional oracle (8 Gaussians, one class
# each): n samples per class, in turn, labels as the companion array.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models/gmm8-classes.json"
py() { "$PYTHON" -c "$1"; }

ok flow-sample -m "$M" --class all -n 50 --solver rk4 --steps 20 -o all.npy
check 'py "
import numpy as np; f = open(\"all.npy\", \"rb\"); x = np.load(f); y = np.load(f)
assert x.shape == (400, 2) and (y == np.repeat(np.arange(8), 50)).all(), (x.shape, y[:60])
k = np.round(np.arctan2(x[:, 1], x[:, 0]) / (np.pi / 4)) % 8
assert (k == y).all(), (k != y).sum()"' "--class all: each block of 50 must lie on its own Gaussian"

ok flow-sample -m "$M" --class 2,5 -n 30 --solver em --steps 100 --guidance 3 -o two.npy
check 'py "
import numpy as np; f = open(\"two.npy\", \"rb\"); x = np.load(f); y = np.load(f)
k = np.round(np.arctan2(x[:, 1], x[:, 0]) / (np.pi / 4)) % 8
assert x.shape == (60, 2) and (y == [2] * 30 + [5] * 30).all() and (k == y).all()"' "--class 2,5 with guidance 3"

# Without --class the conditional model samples its whole mixture, with no labels
ok flow-sample -m "$M" -n 800 -o none.npy
check 'py "
import numpy as np; f = open(\"none.npy\", \"rb\"); x = np.load(f); assert f.read() == b\"\"
k = np.round(np.arctan2(x[:, 1], x[:, 0]) / (np.pi / 4)) % 8; assert len(set(k)) == 8"' "no --class: all 8 Gaussians"
ok flow-sample -m "$M" --class all -n 20 --png classes.png -o /dev/null

bad 2 "class 8 is out of range: the model has 8 classes \(0..7\)" flow-sample -m "$M" --class 8
bad 2 "--class takes a class number, a list such as 1,3,5, or all" flow-sample -m "$M" --class two
finish
