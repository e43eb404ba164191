# Sourced by the examples (not run alone) with their arguments [--quick] [OUTDIR]: strict
# mode, the programs from $FLOWKIT_BIN or PATH, FLOWKIT_QUICK=1 for --quick, $out (OUTDIR,
# default the example's name, made) and $dir (a scratch folder removed at exit).
set -euo pipefail
[ -n "${FLOWKIT_BIN:-}" ] && export PATH="$FLOWKIT_BIN:$PATH"
if [ "${1:-}" = --quick ]; then FLOWKIT_QUICK=1; shift; fi
out=${1:-$(basename "$0" .sh)}
mkdir -p "$out"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
