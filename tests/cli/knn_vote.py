"""The kNN accuracy of an example's report, recomputed for tests/cli/mnist_example.sh and
discrete_mnist_example.sh by an independent 5-nearest-neighbour vote (numpy; ties go to the
smallest digit, as in flow-eval): the samples' labels against the vote of the held-out digits.
Usage: knn_vote.py HELDOUT.npy SAMPLES.npy REPORTED (exits non-zero unless REPORTED is that
share)."""
import sys

import numpy as np

held, samples, reported = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(held, 'rb') as f:
    r = np.load(f).reshape(1000, -1).astype(np.float64)
    rl = np.load(f).astype(int)
with open(samples, 'rb') as f:
    q = np.load(f).reshape(-1, 784).astype(np.float64)
    ql = np.load(f).astype(int)
d = (q * q).sum(1)[:, None] - 2 * q @ r.T + (r * r).sum(1)[None, :]
votes = [np.bincount(rl[np.argsort(row)[:5]], minlength=10).argmax() for row in d]
acc = float(np.mean(np.array(votes) == ql))
assert abs(acc - reported) < 1e-9, (acc, reported)
