#!/usr/bin/env bash
# Runs every command of the flowkit tutorial (flowkit-tutorial(7), share/tutorial.md) in order
# in DIR (default: the current directory) and writes the tutorial's pictures there.
# The programs must be on PATH. FLOWKIT_QUICK=1 shortens every training run (for the tests);
# the pictures committed in share/tutorial/ come from a full run.
# Usage: share/tutorial/make-pictures.sh [DIR]
set -euo pipefail
M=$(cd "$(dirname "$0")/../models" && pwd)
mkdir -p "${1:-.}"
cd "${1:-.}"

# Quick mode: the same commands with their sizes capped (training and solver steps, sample
# counts, grid sizes), so the test suite checks every command in a minute or two
if [ "${FLOWKIT_QUICK:-0}" = 1 ]; then
  quick() {
    local prog=$1 a=()
    shift
    while [ $# -gt 0 ]; do
      case "$prog:$1" in
        flow-train:--steps) a+=("$1" 20); shift 2 ;;
        flow-train:--pairs) a+=("$1" "$2" --batch 100); shift 2 ;; # the pairs file holds 200 samples
        flow-sample:--steps | flow-traj:--steps | flow-eval:--steps) a+=("$1" $(($2 < 10 ? $2 : 10))); shift 2 ;;
        flow-sample:-n | flow-traj:-n) a+=("$1" $(($2 < 200 ? $2 : 200))); shift 2 ;;
        flow-data:--size) a+=("$1" $(($2 < 30 ? $2 : 30))); shift 2 ;;
        flow-sample:--rtol | flow-sample:--atol) a+=("$1" 0.01); shift 2 ;;
        *) a+=("$1"); shift ;;
      esac
    done
    command "$prog" "${a[@]}"
  }
  flow-train() { quick flow-train "$@"; }
  flow-sample() { quick flow-sample "$@"; }
  flow-traj() { quick flow-traj "$@"; }
  flow-eval() { quick flow-eval "$@"; }
  flow-data() { quick flow-data "$@"; }
fi
S="--size 480x480"

# step 1: data as vectors
flow-data moons -n 2000 --seed 1 -o moons.npy
flow-data info moons.npy
flow-plot moons.npy $S --title "moons: 2000 points in 2-D" -o 01-moons.png
flow-data digits -o digits.npy
flow-data digits -f csv | sed -n 2p
flow-plot digits.npy --by-label --rows 10 --title "8x8 digits: 64 numbers each" -o 01-digits.png

# step 2: distributions and sampling
flow-data gaussian -n 2000 --seed 2 -o gauss.npy
flow-data mixture -n 2000 --seed 2 -o mixture.npy --spec '{"weights": [1, 1, 1, 1, 1, 1, 1, 1],
  "vars": [0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04], "means": [[3, 0], [2.12132, 2.12132], [0, 3], [-2.12132, 2.12132],
  [-3, 0], [-2.12132, -2.12132], [0, -3], [2.12132, -2.12132]]}'
flow-plot gauss.npy --overlay mixture.npy --range -4:4 $S \
  --title "N(0, I) and a mixture" -o 02-samples.png
flow-data grid --range -4:4 --size 160 |
  flow-eval logp -m "$M/gmm8.json" --with-points |
  flow-plot --heatmap $S --vmin -12 --title "mixture: exact log p" -o 02-logp.png

# step 3: vector fields and their flows
flow-data grid --range -3:3 --size 15 |
  flow-eval field -m "$M/rotation.json" --t 0 --with-points |
  flow-plot $S --title "u(x, y) = (-pi y, pi x)" -o 03-field.png
flow-traj -m "$M/rotation.json" -n 200 --solver rk4 --steps 50 --seed 3 |
  flow-plot $S --title "its flow: half a turn" -o 03-flow.png

# step 4: Brownian motion and the Ornstein-Uhlenbeck process
flow-data gaussian -n 20 --std 0.001 --seed 4 -o origin.npy
flow-data gaussian -n 20 --mean 3 --std 0.001 --seed 4 -o corner.npy
for sigma in 0.5 2; do
  flow-traj -m "$M/brownian.json" --from origin.npy --solver em --noise constant \
    --drift plain --sigma $sigma --steps 200 --seed 4 |
    flow-plot $S --range -5:5 --title "Brownian, sigma $sigma" -o 04-brownian-$sigma.png
  flow-traj -m "$M/ou.json" --from corner.npy --solver em --noise constant \
    --drift plain --sigma $sigma --steps 200 --seed 4 |
    flow-plot $S --range -5:5 --title "OU, sigma $sigma" -o 04-ou-$sigma.png
done

# step 5: a flow from N(0, I) to the mixture, with the exact field
flow-data grid --range -4:4 --size 17 |
  flow-eval field -m "$M/gmm8.json" --t 0.5 --with-points |
  flow-plot $S --title "exact field at t = 0.5" -o 05-field.png
flow-traj -m "$M/gmm8.json" -n 300 --solver rk4 --steps 40 --seed 5 |
  flow-plot $S --range -4:4 --title "noise to mixture" -o 05-traj.png
flow-plot gauss.npy $S --range -4:4 --title "samples at t = 0" -o 05-t0.png
for t in 0.25 0.5 0.75 1; do
  flow-sample -m "$M/gmm8.json" -n 2000 --solver rk4 --steps 40 --t1 $t --seed 5 |
    flow-plot $S --range -4:4 --title "samples at t = $t" -o 05-t$t.png
done

# step 6: learning the field from data
flow-data checkerboard -n 20000 --seed 6 |
  flow-data split --test-fraction 0.1 --test-output board-test.npy -o board.npy
flow-train board.npy --steps 2000 --seed 6 --log train.log -o board.json
grep '"step"' train.log | sed -E 's/.*"loss":([^,]*),"step":([0-9]+).*/\2,\1/' > loss.csv
flow-plot loss.csv $S --range 0:2000,1.2:2 --title "loss against step" -o 06-loss.png
for n in 2 5 20 100; do
  flow-sample -m board.json -n 2000 --solver euler --steps $n --seed 6 -o euler-$n.npy
  flow-plot euler-$n.npy $S --range -4.5:4.5 --title "Euler, $n steps" -o 06-euler-$n.png
done
flow-sample -m board.json -n 2000 --solver rk4 --steps 10 --seed 6 -o rk4.npy
flow-plot rk4.npy $S --range -4.5:4.5 --title "rk4, 10 steps: NFE 40" -o 06-rk4.png
flow-sample -m board.json -n 2000 --solver dopri5 --rtol 1e-4 --atol 1e-4 --seed 6 --log dopri5.log -o dopri5.npy
nfe=$(grep -o '"nfe":[0-9]*' dopri5.log | cut -d: -f2)
flow-plot dopri5.npy $S --range -4.5:4.5 --title "dopri5 (NFE $nfe)" -o 06-dopri5.png
for f in euler-2 euler-5 euler-20 euler-100 rk4 dopri5; do
  echo "$f: $(flow-eval compare $f.npy board-test.npy --metrics w2 --max-w2 1000)"
done

# step 7: diffusion: the same model as an SDE
for sigma in 0.5 1 2; do
  flow-sample -m board.json -n 2000 --solver em --steps 100 --sigma $sigma --seed 7 \
    -o em-$sigma.npy
  flow-plot em-$sigma.npy $S --range -4.5:4.5 --title "EM + score, sigma $sigma" \
    -o 07-em-$sigma.png
done
flow-sample -m board.json -n 2000 --solver em --steps 100 --sigma 2 --drift plain --seed 7 \
  -o em-plain.npy
flow-plot em-plain.npy $S --range -4.5:4.5 --title "EM, plain drift, sigma 2" -o 07-em-plain.png
for f in rk4 em-0.5 em-1 em-2 em-plain; do
  echo "$f: $(flow-eval compare $f.npy board-test.npy --metrics w2 --max-w2 1000)"
done

# step 8: density
flow-data grid --range -4.5:4.5 --size 120 |
  flow-eval logp -m board.json --solver rk4 --steps 20 --with-points |
  flow-plot --heatmap $S --vmin -8 --title "learned log p(x)" -o 08-logp.png
flow-plot board-test.npy --kind hist $S --range -4.5:4.5 --title "held-out data" -o 08-data.png
flow-eval logp -m board.json --solver rk4 --steps 20 --summary board-test.npy

# step 9: bridges between two data sets, and straight paths
flow-data 8gaussians -n 10000 --seed 9 -o source.npy
flow-data moons -n 10000 --seed 9 -o target.npy
flow-data 8gaussians -n 300 --seed 99 -o from.npy
for c in independent ot; do
  flow-train target.npy --source source.npy --coupling $c --steps 800 --width 64 --seed 9 \
    -q -o bridge-$c.json
  flow-traj -m bridge-$c.json --from from.npy --solver rk4 --steps 20 -o traj-$c.npy
  flow-plot traj-$c.npy $S --range -4:4 --title "coupling $c" -o 09-bridge-$c.png
  echo "$c: $(flow-eval paths traj-$c.npy)"
done

# step 10: images and guidance
flow-train digits.npy --conditional --steps 1500 --seed 10 -q -o digits.json
for w in 0 1 3; do
  flow-sample -m digits.json --class all -n 8 --guidance $w --solver rk4 --steps 20 --seed 10 |
    flow-plot --by-label --title "guidance $w" -o 10-guidance-$w.png
done
flow-traj -m digits.json --class 3 -n 4 --solver rk4 --steps 20 --every 4 --seed 10 |
  flow-plot --title "noise to a 3" -o 10-traj.png

# step 11: 28x28 images with a U-Net
flow-data mnist --part train -o mnist-train.npy
flow-data mnist --part heldout -o mnist-heldout.npy
flow-train mnist-train.npy --net unet --channels 16,32,64 --groups 8 --embed 32 --batch 64 --steps 2000 --lr 0.002 --warmup 100 --dequantize --conditional --cond-drop 0.1 --seed 11 -q -o mnist.json
for w in 1 3; do
  flow-sample -m mnist.json --class all -n 8 --guidance $w --solver ab3 --grid power:2 --steps 4 --seed 11 |
    flow-plot --by-label --title "guidance $w" -o 11-mnist-w$w.png
done
flow-traj -m mnist.json --class 7 -n 4 --guidance 3 --solver midpoint --steps 20 --every 4 --seed 11 |
  flow-plot --title "noise to a 7" -o 11-traj.png
flow-sample -m mnist.json --class all -n 30 --guidance 3 --solver ab3 --grid power:2 --steps 4 --seed 12 -o mnist-samples.npy
flow-eval compare mnist-samples.npy mnist-heldout.npy --metrics knn

# step 12: curved spaces: the sphere and the torus
flow-data sphere-checkerboard -n 20000 --seed 12 -o board.npy
flow-plot board.npy --projection ortho --centre 60,0 --title "the checkerboard on the sphere" $S -o 12-board.png
flow-data vmf --spec '{"means": [[0, 0, 1], [1, 0, 0], [0, -0.6, -0.8]], "kappas": [10, 20, 30]}' -n 20000 --seed 12 -o dirs.npy
flow-train dirs.npy --manifold sphere --steps 3000 --width 128 --lr 0.003 --warmup 200 --seed 12 -q -o dirs.json
flow-data grid --sphere --size 60 -o sphere-grid.npy
flow-eval logp -m dirs.json sphere-grid.npy --solver rk4 --steps 20 --with-points |
  flow-plot --projection mollweide --vmin -8 --title "learned log density" -o 12-dirs-density.png
flow-traj -m dirs.json -n 300 --solver rk4 --steps 20 --seed 12 |
  flow-plot --projection ortho --centre 30,30 --title "paths from the uniform law" $S -o 12-dirs-paths.png
flow-data vonmises --spec '{"means": [[4.2, 2.4], [1.0, 0.2]], "kappas": [[6, 3], [4, 10]]}' -n 20000 --seed 12 -o angles.npy
flow-train angles.npy --manifold torus --steps 3000 --width 128 --lr 0.003 --warmup 200 --seed 12 -q -o angles.json
flow-traj -m angles.json -n 300 --solver rk4 --steps 20 --seed 12 |
  flow-plot --projection torus --title "paths on the torus" $S -o 12-torus-paths.png

# step 13: tokens: discrete flow matching
flow-data checkerboard -n 20000 --levels 32 --labels --seed 13 -o tokens.npy
flow-data checkerboard -n 20000 --levels 32 --seed 113 -o tokens-fresh.npy
flow-data checkerboard -n 20000 --levels 32 --seed 213 -o tokens-fresh2.npy
flow-data info tokens.npy
flow-train tokens.npy --source mask --kappa poly:2 --loss ce --steps 2000 --seed 13 -q -o tokens.json
for k in 8 64; do
  flow-sample -m tokens.json -n 20000 --steps $k --seed 13 -o tokens-$k.npy
  echo "$k jump steps: $(flow-eval compare tokens-$k.npy tokens-fresh.npy | grep -E '"(tv|a_outside_b)"' | tr -d '\n')"
done
flow-sample -m tokens.json -n 20000 --steps 64 --corrector 1 --seed 13 -o tokens-c.npy
echo "64 jump steps, corrector 1: $(flow-eval compare tokens-c.npy tokens-fresh.npy | grep -E '"(tv|a_outside_b)"' | tr -d '\n')"
echo "floor: $(flow-eval compare tokens-fresh2.npy tokens-fresh.npy | grep -E '"(tv|a_outside_b)"' | tr -d '\n')"
flow-plot tokens-fresh.npy --kind hist --bins 32 --range 0:32 $S --title "data: a 32 x 32 grid of tokens" -o 13-data.png
flow-plot tokens-64.npy --kind hist --bins 32 --range 0:32 $S --title "samples: 64 jump steps" -o 13-samples.png
flow-traj -m tokens.json -n 40 --steps 32 --seed 13 |
  flow-plot $S --range -1:35,-1:40 --title "tokens jumping from MASK (32, 32)" -o 13-traj.png
flow-eval elbo -m tokens.json tokens-fresh.npy --seed 13
flow-sample -m "$M/discrete-table.json" -n 20000 --steps 500 --seed 13 -o table.npy
flow-eval elbo -m "$M/discrete-table.json" table.npy --strata 32 --seed 13
flow-train tokens.npy --conditional --steps 2000 --seed 13 -q -o tokens-class.json
for w in 0 1 3; do
  flow-sample -m tokens-class.json --class 5 -n 2000 --guidance $w --steps 64 --seed 13 -f csv |
    awk -F, -v w=$w 'NR > 1 && int($1 / 8) == 2 && int($2 / 8) == 2 { k++ } END { print "W = " w ": " k / (NR - 1) " on cell 5" }'
done

# step 14: fewer steps
flow-train --toy 8gaussians --width 64 --steps 3000 --seed 14 -q -o teacher.json
flow-data 8gaussians -n 2000 --seed 14 -o ring.npy
flow-data 8gaussians -n 2000 --seed 114 -o ring2.npy
echo "floor: $(flow-eval compare ring2.npy ring.npy --metrics w2 | grep '"w2"')"
for s in euler midpoint heun rk4 ab3; do
  for k in 1 2 4; do
    flow-sample -m teacher.json -n 2000 --solver $s --steps $k --seed 14 --log $s-$k.log -o $s-$k.npy
    echo "$s --steps $k, $(grep -o '"nfe":[0-9]*' $s-$k.log): $(flow-eval compare $s-$k.npy ring.npy --metrics w2 | grep '"w2"')"
  done
done
for g in uniform power:2 cosine; do
  flow-sample -m teacher.json -n 2000 --solver ab3 --steps 2 --grid $g --seed 14 -o grid.npy
  echo "ab3 --steps 2 --grid $g: $(flow-eval compare grid.npy ring.npy --metrics w2 | grep '"w2"')"
done
flow-sample -m teacher.json -n 5000 --solver midpoint --steps 20 --pairs --seed 41 -o pairs.npy
flow-train --pairs pairs.npy --width 64 --steps 3000 --seed 14 -q -o reflow.json
flow-train --toy 8gaussians --objective meanflow --t-dist meanflow --width 64 --steps 3000 --seed 14 -q -o meanflow.json
flow-train --toy 8gaussians --objective shortcut --width 64 --steps 3000 --seed 14 -q -o shortcut.json
flow-train --pairs pairs.npy --init teacher.json --objective distill --steps 3000 --seed 14 -q -o distill.json
for m in teacher reflow meanflow shortcut distill; do
  flow-sample -m $m.json -n 2000 --steps 1 --seed 14 -o $m-1.npy
  flow-plot $m-1.npy $S --range -3:3 --title "$m: one network evaluation" -o 14-$m-1.png
  echo "$m --steps 1: $(flow-eval compare $m-1.npy ring.npy --metrics w2 | grep '"w2"')"
done
for m in teacher reflow; do
  flow-traj -m $m.json -n 300 --solver midpoint --steps 20 --seed 14 -o paths-$m.npy
  flow-plot paths-$m.npy $S --range -3:3 --title "$m: paths" -o 14-$m-paths.png
  echo "$m: $(flow-eval paths paths-$m.npy)"
done
