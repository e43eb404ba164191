# Shared helpers for the command-line tests (sourced by tests/cli/*.sh).
# FLOWKIT_BIN: the built programs; FLOWKIT_SRC: the source tree. Each test runs in a fresh
# temporary directory that is removed at the end.
set -uo pipefail
export PATH="$FLOWKIT_BIN:$PATH"

PYTHON=/usr/bin/python3  # Debian's python3, with python3-numpy
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# ok CMD...: the command must succeed.
ok() {
  checks=$((checks + 1))
  if ! "$@" >"$T/.out" 2>"$T/.err"; then fail "expected success: $* ($(head -c 300 "$T/.err"))"; fi
}

# bad STATUS PATTERN CMD...: the command must exit with STATUS and print exactly one line on
# stderr, "PROG: error: ..." matching the extended regex PATTERN, and nothing on stdout.
bad() {
  local want=$1 pat=$2
  shift 2
  checks=$((checks + 1))
  "$@" >"$T/.out" 2>"$T/.err"
  local got=$?
  [ "$got" = "$want" ] || { fail "status $got, want $want: $* ($(head -c 300 "$T/.err"))"; return; }
  [ "$(wc -l <"$T/.err")" = 1 ] || fail "want one line on stderr: $* ($(cat "$T/.err"))"
  grep -Eq "^flow-[a-z]+: error: .*($pat)" "$T/.err" || fail "stderr does not match '$pat': $* ($(cat "$T/.err"))"
  [ ! -s "$T/.out" ] || fail "stdout not empty on error: $*"
}

# sh_ok 'pipeline': a shell pipeline must succeed.
sh_ok() {
  checks=$((checks + 1))
  if ! bash -o pipefail -c "$1" >"$T/.out" 2>"$T/.err"; then fail "expected success: $1 ($(head -c 300 "$T/.err"))"; fi
}

# check COND MESSAGE: a test expression (evaluated by bash).
check() {
  checks=$((checks + 1))
  if ! eval "$1"; then fail "$2"; fi
}

# need_mpi: ends the script as skipped without OpenMPI or an MPI build; else sets up mpirun for
# root on the loopback only (no network probing), oversubscribed on 2 cores, and defines
# `mpi NP CMD...` (mpirun with a time limit).
need_mpi() {
  if ! command -v mpirun >/dev/null; then
    echo "SKIPPED: mpirun is not installed (bash share/setup --tests installs OpenMPI)"
    exit 0
  fi
  if ! flow-train --version | grep -q "^MPI: OpenMPI"; then
    echo "SKIPPED: these programs were built without MPI (flow-train --version: $(flow-train --version | tail -1))"
    exit 0
  fi
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
  export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
}
mpi() { local np=$1; shift; timeout 120 mpirun --oversubscribe -np "$np" "$@"; }

# digit_grid FILE ASSERT: FILE (an MNIST example's grid) holds 100 images of 28x28 and their
# labels, 10 of each digit 0..9, and the Python assertion ASSERT about the images x holds.
digit_grid() {
  sh_ok "$PYTHON -c \"
import numpy as np
f = open('$1', 'rb'); x = np.load(f); y = np.load(f)
assert x.shape == (100, 28, 28), x.shape
assert sorted(np.bincount(y.astype(int), minlength=10)) == [10] * 10, y
$2
\""
}

# knn_report REPORT DIR W...: for each guidance weight W, REPORT's line "W = W ACC" gives exactly
# the share that an independent numpy 5-nearest-neighbour vote (knn_vote.py: ties to the smallest
# digit, as in flow-eval) finds for DIR/guided-W.npy against DIR/heldout.npy.
knn_report() {
  local report=$1 dir=$2 w acc
  shift 2
  for w in "$@"; do
    acc=$(awk -v w="$w" '$1 == "W" && $3 == w { print $4 }' "$report")
    sh_ok "$PYTHON '$FLOWKIT_SRC/tests/cli/knn_vote.py' $dir/heldout.npy $dir/guided-$w.npy '$acc'"
  done
}

# The fraction of the labelled points of SAMPLES whose nearest class mean of the labelled DATA
# (both NPY with labels as the companion) is their own label's.
on_class() {
  "$PYTHON" -c '
import sys
import numpy as np
f = open(sys.argv[1], "rb"); x = np.load(f); y = np.load(f).astype(int)
mu = np.stack([x[y == k].mean(0) for k in range(y.max() + 1)])
f = open(sys.argv[2], "rb"); s = np.load(f); l = np.load(f).astype(int)
print(((((s[:, None] - mu[None]) ** 2).sum(-1).argmin(1)) == l).mean())' "$1" "$2"
}

# Ends the script: prints a summary and exits non-zero on any failure.
finish() {
  echo "$checks checks, $failures failed"
  [ "$failures" = 0 ]
}
