# Bounded memory: sampling and density evaluation stream in chunks, so the peak resident memory
# of `flow-sample -n N` and of `flow-eval logp` reading its output does not grow with N
# (200k and 2M points, an analytic model of share/models; 2M points are 16 MB of output alone).
source "$FLOWKIT_SRC/tests/cli/lib.sh"
if [ -n "${FLOWKIT_SANITIZED:-}" ]; then
  echo "skipped: peak memory means nothing under AddressSanitizer (its quarantine holds freed memory)"
  exit 0
fi
model="$FLOWKIT_SRC/share/models/gmm8.json"
small=200000
big=2000000

# peak KB of one program of a pipeline: rss FILE CMD... runs CMD under /usr/bin/time
rss() { local f=$1; shift; /usr/bin/time -f %M -o "$f" "$@"; }
export -f rss

# The peak at the big size stays within 25% (+ 4 MB of slack) of the peak at the small size
bounded() {
  local what=$1 a b
  a=$(tail -n 1 "$what.$small") b=$(tail -n 1 "$what.$big")
  echo "$what: peak $a KB at n = $small, $b KB at n = $big"
  check "[ $b -le $((a * 5 / 4 + 4096)) ]" "$what: peak memory grows with n: $a KB at $small, $b KB at $big"
}

if [ -x "$FLOWKIT_BIN/flow-sample" ]; then
  for n in $small $big; do
    sh_ok "rss sample.$n flow-sample -m $model -n $n --steps 4 -q >/dev/null"
  done
  bounded sample
fi
if [ -x "$FLOWKIT_BIN/flow-sample" ] && [ -x "$FLOWKIT_BIN/flow-eval" ]; then
  for n in $small $big; do
    sh_ok "flow-sample -m $model -n $n --steps 4 -q | rss eval.$n flow-eval logp -m $model --steps 4 >/dev/null"
  done
  bounded eval
fi
finish
