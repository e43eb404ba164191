# flow-train --objective shortcut: one step of a shortcut model from noise beats one Euler step
# of a flow model of the same size and budget by far on 8gaussians, and without its
# self-consistency columns (--mf-ratio 0: flow matching at gap 0) it collapses as Euler 1
# does; the model file records the objective; reruns keep the bits; guidance is trained in;
# what it does not take is one error line each.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models"
py() { "$PYTHON" -c "$1"; }
w2() { flow-eval compare "$1" "$2" --metrics w2 | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["w2"])'; }

train=(--toy 8gaussians --width 64 --depth 3 --seed 1 -q --steps 2000)
ok flow-train "${train[@]}" -o fm.json
ok flow-train "${train[@]}" --objective shortcut -o sc.json
ok flow-train "${train[@]}" --objective shortcut --mf-ratio 0 -o none.json
ok flow-data 8gaussians -n 2000 --seed 10 -o real.npy
ok flow-data 8gaussians -n 2000 --seed 11 -o real2.npy
ok flow-sample -m fm.json -n 2000 --solver euler --steps 1 --seed 5 -o fm1.npy
ok flow-sample -m sc.json -n 2000 --steps 1 --seed 5 -o sc1.npy
ok flow-sample -m none.json -n 2000 --steps 1 --seed 5 -o none1.npy
floor=$(w2 real.npy real2.npy) fm1=$(w2 fm1.npy real.npy) sc1=$(w2 sc1.npy real.npy) none1=$(w2 none1.npy real.npy)
# Measured: floor 0.23, Euler 1 of the flow model 1.89, one shortcut step 0.32 (2, 4, 8 steps
# 0.29, 0.26, 0.21), without the self-consistency columns 1.81 (the mean's collapse)
check 'py "assert $sc1 < $fm1 / 1.5 and $sc1 < 2 * $floor and $sc1 < $none1 / 1.5"' \
  "one shortcut step: W2 $sc1, want below Euler 1's $fm1 / 1.5, twice the floor $floor and the model without self-consistency's $none1 / 1.5"

# The model file: the objective and the net's two time inputs; the same seed, the same bytes
check 'py "
import json; m = json.load(open(\"sc.json\")); t = m[\"training\"]
assert m[\"objective\"] == \"shortcut\" and m[\"architecture\"][\"time_inputs\"] == 2, m[\"architecture\"]
assert t[\"objective\"] == \"shortcut\" and t[\"mf_ratio\"] == 0.25, t"' "the model file does not record the objective"
ok flow-train --toy 8gaussians --width 64 --depth 3 --seed 1 -q --steps 300 --objective shortcut -o a.json
ok flow-train --toy 8gaussians --width 64 --depth 3 --seed 1 -q --steps 300 --objective shortcut -o b.json
check 'cmp -s a.json b.json' "shortcut training is not reproducible"
ok flow-sample -m sc.json -n 100 --steps 4 --log log.json -o /dev/null
check 'grep -q "\"nfe\":4" log.json' "four shortcut steps are not four evaluations ($(tail -1 log.json))"

# Guidance trained in: a guided 4-step sample of a class lands on that class's component
ok flow-sample -m "$M/gmm8-classes.json" -n 500 --class all --solver midpoint --steps 20 --seed 3 -o cdata.npy
ok flow-train cdata.npy --conditional --objective shortcut --mf-guidance 2 --width 64 --steps 1500 --seed 1 -q -o csc.json
ok flow-sample -m csc.json -n 100 --class all --steps 4 --seed 5 -o cs.npy
frac=$(on_class cdata.npy cs.npy)
check "awk 'BEGIN { exit !($frac > 0.95) }'" "guided shortcut samples do not land on their class: $frac of them"

# What a shortcut model does not take: one line each
bad 2 "--mf-power is MeanFlow's" flow-train --toy moons --objective shortcut --mf-power 0
bad 2 "--objective shortcut: no --val-fraction" flow-train real.npy --objective shortcut --val-fraction 0.1
bad 2 "is an average-velocity model" flow-sample -m sc.json --solver midpoint
bad 1 "not a flow: it has no exact log density" flow-eval logp -m sc.json real.npy
finish
