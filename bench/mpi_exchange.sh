#!/usr/bin/env bash
# The two gradient exchanges of mpirun flow-train (--exchange gather, ring) on this machine:
# steps per second (steps / the elapsed time of the log's last line, best of REPEATS) under
# mpirun -np 2 and -np 4 --oversubscribe, one thread each, of the MLP of depth 3 on the
# checkerboard, and the bytes a process sends per message: gather, one allgather of its shards
# (4P + 8 bytes each); ring, 2 (K - 1) messages of 4P/K bytes and an allgather of 8. Width 8
# (P = 314) is all exchange and no compute: the difference between ring and gather there is the
# cost of the ring's extra messages, per message.
# Usage: bash bench/mpi_exchange.sh [BIN_DIR] [REPEATS]   (README, "Training on several machines")
set -euo pipefail
bin=${1:-build/bin}
reps=${2:-2}
bin=$(cd "$bin" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_mpi_yield_when_idle=1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

rate() {  # rate STEPS CMD...: the best steps/s of $reps runs
  local steps=$1 best=0 r
  shift
  for _ in $(seq "$reps"); do
    "$@" --steps "$steps" -q --log run.log -o m.json
    r=$(python3 -c "import json; l=[json.loads(x) for x in open('run.log')]; print($steps / l[-1]['elapsed_s'])")
    best=$(python3 -c "print(max($best, $r))")
  done
  python3 -c "print(f'{$best:.0f}' if $best >= 100 else f'{$best:.1f}')"
}
params() { python3 -c "
import base64, json
print(sum(len(base64.b64decode(w['data'])) // 4 for w in json.load(open('m.json'))['weights']))"; }

echo "steps/s (best of $reps), MLP depth 3, one thread a process; bytes a process sends per message"
echo "| width | P | batch | np | gather | ring | gather: bytes x messages | ring: bytes x messages |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for cfg in "8 256 400" "128 256 300" "256 256 100" "256 4096 10"; do
  read -r w b steps <<<"$cfg"
  for np in 2 4; do
    args=(--toy checkerboard --width "$w" --depth 3 --batch "$b" --threads 1)
    g=$(rate "$steps" timeout 600 mpirun --oversubscribe -np "$np" "$bin/flow-train" "${args[@]}" --exchange gather)
    r=$(rate "$steps" timeout 600 mpirun --oversubscribe -np "$np" "$bin/flow-train" "${args[@]}" --exchange ring)
    p=$(params)
    echo "| $w | $p | $b | $np | $g | $r | $((4 * p + 8)) x 1 | $((4 * p / np)) x $((2 * (np - 1))) + 8 x 1 |"
  done
done
