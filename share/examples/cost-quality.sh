#!/bin/bash
# cost-quality: sample quality against network evaluations, for every fixed-step solver and a
# few step counts (a MeanFlow or shortcut model: its own average-velocity steps; a distilled
# model: its one step). Evaluations are the NFE
# per sample that flow-sample reports.
# usage: cost-quality.sh [--quick] [--out DIR] [MODEL DATA...]
#        cost-quality.sh [--quick] [--out DIR] [--per-class N] [--guidance W] MODEL --reference FILE
# Points (the first form): quality is the exact W2 between 2,000 samples and 2,000 fresh data
#   points, printed beside its floor (W2 between two fresh sets of 2,000 data points: what a
#   perfect sampler reaches). MODEL (default share/models/gmm8.json, the exact field of 8
#   Gaussians of radius 3: solver error alone) and the flow-data command of its data (default:
#   8gaussians --radius 3). Steps 1, 2, 4, 8, 16 and 32 (--quick: 1, 2 and 4).
# Images (--reference FILE, a stream of real data such as flow-data mnist --part heldout): a
#   class-conditional MODEL draws N samples of each class (--class all -n N, default N = 50,
#   500 for 10 classes) at guidance W (default 1, one network pass per evaluation; any other W
#   takes two), and quality is flow-eval compare --metrics fd (the Frechet distance of Gaussian
#   fits in 128 fixed random features of the images, or the points themselves up to 64-d) and,
#   when FILE is labelled, knn (the share of samples whose class a 5-NN classifier fitted on
#   the reference names). The reference is split once (flow-data split, seed 3) into as many
#   points as samples and the rest: every row is scored against the rest, and the floor row is
#   the first part against the rest, real against real at the same sizes; two more splits
#   (seeds 4 and 5) give the floor's spread, the noise below which rows do not differ. Steps 1,
#   2, 4, 8 and 20 (--quick: 1, 2 and 4; N = 2), each on the uniform grid and, from 2 steps, on
#   --grid power:2 (short steps near the data, t = 1, where a dequantized model's field bends).
# Every row draws from the same noise (--seed 5), so rows differ by their solver alone.
# --out DIR keeps the samples (SOLVER-GRID-STEPS.npy), flow-eval's JSON beside each, and the
#   reference's parts (real-a.npy, real-b.npy, floor.json) in DIR; without it they go to a
#   temporary folder, removed at the end. Prints a Markdown table on standard output.
# -h, --help: this text. The programs come from $FLOWKIT_BIN or PATH.
set -euo pipefail
[ -n "${FLOWKIT_BIN:-}" ] && export PATH="$FLOWKIT_BIN:$PATH"
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "cost-quality.sh: error: $*" >&2; exit 2; }
quick=0 out='' per_class='' guidance='' reference=''
# options: before MODEL, or after it when --reference follows MODEL
options() {
  while [ $# -ge 1 ]; do
    case "$1" in
      --quick) quick=1; shift ;;
      -h|--help) sed -n '2,/^# -h, --help/s/^# \{0,1\}//p' "$0"; exit 0 ;;
      --out|--per-class|--guidance|--reference)
        [ $# -ge 2 ] || die "$1 needs a value"
        case "$1" in
          --out) out=$2 ;; --per-class) per_class=$2 ;; --guidance) guidance=$2 ;; --reference) reference=$2 ;;
        esac
        shift 2 ;;
      *) break ;;
    esac
  done
  rest=("$@")
}
options "$@"; set -- "${rest[@]+"${rest[@]}"}"
model=$here/../models/gmm8.json data=(8gaussians --radius 3)
if [ $# -ge 1 ]; then model=$1; shift; fi
if [ "${1:-}" = --reference ]; then options "$@"; set -- "${rest[@]+"${rest[@]}"}"; [ $# -eq 0 ] || die "unexpected '$1' after --reference"; fi
if [ $# -ge 1 ]; then data=("$@"); fi
if [ -z "$reference" ] && [ -n "$per_class$guidance" ]; then die "--per-class and --guidance need --reference FILE"; fi
[ -z "$reference" ] || [ -f "$reference" ] || die "no reference file '$reference'"
if [ -n "$out" ]; then mkdir -p "$out"; dir=$out; else dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT; fi

# The solvers of the rows: every fixed-step one, or an average-velocity model's own steps
# (flow-train --objective meanflow or shortcut; it takes no other), or a distilled model's one
# step (--objective distill: one row, no grid)
solvers=(euler midpoint heun rk4 ab2 ab3) one_step=0
objective=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("objective", ""))' "$model" \
  2>/dev/null || true)
case "$objective" in
  meanflow | shortcut) solvers=(meanflow) ;;
  distill) solvers=(meanflow) one_step=1 ;;
esac
# nfe LOG: the evaluations per sample of flow-sample's last log line
nfe() { /usr/bin/python3 -c 'import json, sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["nfe"])' "$1"; }

if [ -z "$reference" ]; then
  steps=(1 2 4 8 16 32)
  [ "$quick" = 1 ] && steps=(1 2 4)
  [ "$one_step" = 1 ] && steps=(1)
  n=2000
  flow-data "${data[@]}" -n "$n" --seed 10 -o "$dir/real.npy"
  flow-data "${data[@]}" -n "$n" --seed 11 -o "$dir/real2.npy"
  w2() { flow-eval compare "$1" "$2" --metrics w2 | /usr/bin/python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["w2"])'; }
  echo "model $(basename "$model"), data ${data[*]}: W2 (n = $n) floor $(w2 "$dir/real.npy" "$dir/real2.npy")"
  echo
  echo "| solver | steps | NFE | W2 |"
  echo "| --- | --- | --- | --- |"
  for s in "${solvers[@]}"; do
    for k in "${steps[@]}"; do
      rm -f "$dir/log"
      flow-sample -m "$model" -n "$n" --solver "$s" --steps "$k" --seed 5 -q --log "$dir/log" -o "$dir/s.npy"
      echo "| $s | $k | $(nfe "$dir/log") | $(w2 "$dir/s.npy" "$dir/real.npy") |"
    done
  done
  exit 0
fi

# Images: class-conditional samples against a reference file
steps=(1 2 4 8 20)
[ "$quick" = 1 ] && steps=(1 2 4)
[ "$one_step" = 1 ] && steps=(1)
per_class=${per_class:-$([ "$quick" = 1 ] && echo 2 || echo 50)}
guidance=${guidance:-1}
guide=(--guidance "$guidance")  # an average-velocity model has its guidance trained in: none to ask for
if [ "${solvers[0]}" = meanflow ]; then
  [ "$guidance" = 1 ] || die "a MeanFlow, shortcut or distilled model has its guidance trained in: no --guidance"
  guide=()
fi
# count FILE: its rows; labelled FILE: whether it has a companion array (flow-data info)
count() { flow-data info "$1" | sed -n 's/^count *\([0-9]*\) rows.*/\1/p'; }
labelled() { flow-data info "$1" | grep -q '^companion'; }
# draw SOLVER GRID STEPS: the samples of one row, their NFE in NAME.nfe
draw() {
  local name=$1-${2/:/}-$3 grid=(--grid "$2")
  [ "$one_step" = 0 ] || grid=()  # a distilled model's one step has no grid to choose
  rm -f "$dir/$name.log"
  flow-sample -m "$model" --class all -n "$per_class" "${guide[@]}" --solver "$1" "${grid[@]}" \
    --steps "$3" --seed 5 -q --log "$dir/$name.log" -o "$dir/$name.npy"
  nfe "$dir/$name.log" >"$dir/$name.nfe"
  rm -f "$dir/$name.log"
}
first=${solvers[0]}-uniform-1
draw "${solvers[0]}" uniform 1
n=$(count "$dir/$first.npy") total=$(count "$reference")
[ "$n" -lt "$total" ] || die "$n samples need a reference of more than $n points, $reference has $total"
metrics=fd
labelled "$reference" && metrics=knn,fd
# split SEED A B: as many points of the reference as samples in A, the rest in B
split() {
  flow-data split "$reference" --test-fraction "$(awk -v n="$n" -v t="$total" 'BEGIN { printf "%.17g", n / t }')" \
    --seed "$1" --test-output "$2" -o "$3"
  local got; got=$(count "$2")
  [ "$got" = "$n" ] || die "flow-data split gave $got points, not $n"
}
split 3 "$dir/real-a.npy" "$dir/real-b.npy"
flow-eval compare "$dir/real-a.npy" "$dir/real-b.npy" --metrics "$metrics" -o "$dir/floor.json"
for seed in 4 5; do
  split "$seed" "$dir/spread-a.npy" "$dir/spread-b.npy"
  flow-eval compare "$dir/spread-a.npy" "$dir/spread-b.npy" --metrics fd -o "$dir/floor-$seed.json"
done
rm -f "$dir/spread-a.npy" "$dir/spread-b.npy"
# cell JSON KEY: a figure of flow-eval's output (kNN as a percentage), or "-" where absent
cell() {
  /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); k = sys.argv[2]
print("-" if k not in j else "%.1f%%" % (100 * j[k]) if k == "knn_agreement" else "%.4f" % j[k])' "$1" "$2"
}
echo "model $(basename "$model"), reference $(basename "$reference") ($total points): $n samples" \
  "($per_class per class, guidance W = $guidance) against the other $((total - n)) points;" \
  "FD floor $(cell "$dir/floor.json" fd) (other splits $(cell "$dir/floor-4.json" fd)," \
  "$(cell "$dir/floor-5.json" fd))"
echo
echo "| solver | grid | steps | NFE | FD | kNN |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "| real (floor) | | | | $(cell "$dir/floor.json" fd) | $(cell "$dir/floor.json" knn_agreement) |"
for s in "${solvers[@]}"; do
  for g in uniform power:2; do
    for k in "${steps[@]}"; do
      [ "$g" = uniform ] || [ "$k" -gt 1 ] || continue  # one step: every grid is [0, 1]
      name=$s-${g/:/}-$k
      [ "$name" = "$first" ] || draw "$s" "$g" "$k"  # drawn above
      flow-eval compare "$dir/$name.npy" "$dir/real-b.npy" --metrics "$metrics" -o "$dir/$name.json"
      echo "| $s | $g | $k | $(cat "$dir/$name.nfe") | $(cell "$dir/$name.json" fd) | $(cell "$dir/$name.json" knn_agreement) |"
    done
  done
done
