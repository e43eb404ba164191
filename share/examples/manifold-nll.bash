# Sourced by sphere.sh and torus.sh (not run alone) with their arguments [--quick] [OUTDIR]:
# the settings of a --quick or full run, the folder for the pictures ($out: OUTDIR, default
# the example's name), and manifold_nll MANIFOLD DATASET SPEC, which draws training and test
# points of the mixture SPEC with `flow-data DATASET`, trains `flow-train --manifold MANIFOLD`
# and writes the test points' learned log densities. Leaves in $dir (removed at exit):
# train.npy, test.npy, model.json, lp.npy; sets mode, n, solve (the density's solver) and train_s.
source "$(dirname "${BASH_SOURCE[0]}")/example-args.bash" "$@"
if [ "${FLOWKIT_QUICK:-0}" = 1 ]; then
  mode=quick n=1000 train=(--steps 1500 --width 64 --lr 3e-3 --warmup 100) solve=(--solver rk4 --steps 20)
else
  mode=full n=5000 train=(--steps 20000 --width 128 --lr 3e-3 --warmup 500) solve=(--solver rk4 --steps 100)
fi

manifold_nll() {
  local manifold=$1 dataset=$2 spec=$3 start
  flow-data "$dataset" --spec "$spec" -n 20000 --seed 1 -o "$dir/train.npy"
  flow-data "$dataset" --spec "$spec" -n "$n" --seed 2 -o "$dir/test.npy"
  start=$(date +%s)
  flow-train "$dir/train.npy" --manifold "$manifold" --batch 256 "${train[@]}" -q -o "$dir/model.json"
  train_s=$(($(date +%s) - start))
  flow-eval logp -m "$dir/model.json" "${solve[@]}" "$dir/test.npy" -o "$dir/lp.npy"
}
