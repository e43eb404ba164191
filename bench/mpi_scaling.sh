#!/usr/bin/env bash
# Training steps per second of the MLP (depth 3) on one machine: one thread, --threads 2, and
# mpirun -np 2 with one thread each (the same two shards a step as --threads 2), at batch 256
# and 4096 and width 128 and 256, and the MNIST example's U-Net at batch 128. Steps/s is steps / the elapsed time of the log's last line
# (after start-up and data), the best of REPEATS runs; and the CPU time per step (user + sys of
# the whole run, every process and thread, start-up included; the least of the runs), which a
# loaded machine disturbs less.
# Usage: bash bench/mpi_scaling.sh [BIN_DIR] [REPEATS]   (README, "Training on several machines")
set -euo pipefail
bin=${1:-build/bin}
reps=${2:-3}
bin=$(cd "$bin" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

rate() {  # rate STEPS CMD...: "best steps/s / least CPU ms per step" of $reps runs
  local steps=$1 best=0 cpu=1e9 r c
  shift
  for _ in $(seq "$reps"); do
    /usr/bin/time -f "%U %S" -o cpu.txt "$@" --steps "$steps" -q --log run.log -o m.json
    r=$(python3 -c "import json; l=[json.loads(x) for x in open('run.log')]; print($steps / l[-1]['elapsed_s'])")
    c=$(python3 -c "u, s = open('cpu.txt').read().split()[-2:]; print((float(u) + float(s)) * 1e3 / $steps)")
    best=$(python3 -c "print(max($best, $r))")
    cpu=$(python3 -c "print(min($cpu, $c))")
  done
  python3 -c "print(f'{$best:.1f} / {$cpu:.2f}')"
}

echo "steps/s (best of $reps) / CPU ms per step (least of $reps), MLP depth 3"
echo "| width | batch | 1 thread | --threads 2 | mpirun -np 2 (1 thread each) |"
echo "| --- | --- | --- | --- | --- |"
for cfg in "128 256 600" "256 256 200" "128 4096 40" "256 4096 15"; do
  read -r w b steps <<<"$cfg"
  args=(--toy checkerboard --width "$w" --depth 3 --batch "$b")
  one=$(rate "$steps" "$bin/flow-train" "${args[@]}" --threads 1)
  two=$(rate "$steps" "$bin/flow-train" "${args[@]}" --threads 2)
  mpi=$(rate "$steps" timeout 600 mpirun --oversubscribe -np 2 "$bin/flow-train" "${args[@]}" --threads 1)
  echo "| $w | $b | $one | $two | $mpi |"
done
# The MNIST example's U-Net (channels 32,64,128, conditional) on the 9,000 training digits
"$bin/flow-data" mnist --part train -o mnist.npy
args=(mnist.npy --net unet --channels 32,64,128 --groups 8 --embed 64 --conditional --batch 128 --dequantize)
one=$(rate 20 "$bin/flow-train" "${args[@]}" --threads 1)
two=$(rate 20 "$bin/flow-train" "${args[@]}" --threads 2)
mpi=$(rate 20 timeout 600 mpirun --oversubscribe -np 2 "$bin/flow-train" "${args[@]}" --threads 1)
echo "| U-Net | 128 | $one | $two | $mpi |"
