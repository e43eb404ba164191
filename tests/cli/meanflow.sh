# flow-train --objective meanflow and its sampling: one average-velocity step from noise beats
# one Euler step of a flow model of the same size and budget by far on 8gaussians; the model
# file records the objective and the net's two times; conversions and reruns keep the bits;
# guidance is trained in; what such a model cannot do is one error line each.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models"
py() { "$PYTHON" -c "$1"; }
w2() { flow-eval compare "$1" "$2" --metrics w2 | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["w2"])'; }

train=(--toy 8gaussians --width 64 --depth 3 --seed 1 -q)
ok flow-train "${train[@]}" --steps 2000 -o fm.json
# Plain squares (--mf-power 0): the adaptive weights' mode-seeking alone makes a one-step
# generator of 8gaussians even without the JVP term (W2 0.29 with it dropped), plain squares
# regress onto the mean unless the identity carries the target
ok flow-train "${train[@]}" --steps 2000 --lr 1e-3 --objective meanflow --mf-power 0 -o mf.json
ok flow-data 8gaussians -n 2000 --seed 10 -o real.npy
ok flow-data 8gaussians -n 2000 --seed 11 -o real2.npy
ok flow-sample -m fm.json -n 2000 --solver euler --steps 1 --seed 5 -o fm1.npy
ok flow-sample -m mf.json -n 2000 --steps 1 --seed 5 -o mf1.npy
floor=$(w2 real.npy real2.npy) fm1=$(w2 fm1.npy real.npy) mf1=$(w2 mf1.npy real.npy)
# Measured: floor 0.23, Euler 1 of the flow model 1.89, one MeanFlow step 0.93; with the JVP
# term dropped from the target 1.93 (the mean's collapse, as Euler 1)
check 'py "assert $mf1 < $fm1 / 1.5 and $mf1 < 5 * $floor"' \
  "one MeanFlow step: W2 $mf1, want below Euler 1's $fm1 / 1.5 and 5 times the floor $floor"

# The model file: the objective, the net's time inputs (r and t - r), the training settings
check 'py "
import json; m = json.load(open(\"mf.json\")); t = m[\"training\"]
assert m[\"objective\"] == \"meanflow\" and m[\"architecture\"][\"time_inputs\"] == 2, m[\"architecture\"]
assert t[\"objective\"] == \"meanflow\" and t[\"mf_ratio\"] == 0.25 and t[\"mf_power\"] == 0 and t[\"t_dist\"] == \"uniform\", t
f = json.load(open(\"fm.json\")); assert \"objective\" not in f and \"time_inputs\" not in f[\"architecture\"]"' \
  "the model file does not record the objective"
# The same seed gives the same bytes; safetensors keeps the objective and the samples
ok flow-train "${train[@]}" --steps 300 --objective meanflow -o a.json
ok flow-train "${train[@]}" --steps 300 --objective meanflow -o b.json
check 'cmp -s a.json b.json' "meanflow training is not reproducible"
# A resumed run is the run: the checkpoint keeps the objective and its settings
ok flow-train "${train[@]}" --steps 200 --objective meanflow --mf-ratio 0.5 -o whole.json
ok flow-train "${train[@]}" --steps 100 --objective meanflow --mf-ratio 0.5 --checkpoint-every 100 --checkpoint h.ckpt -o half.json
ok flow-train --resume h.ckpt --steps 200 -q -o resumed.json
check 'py "
import json; a = json.load(open(\"whole.json\")); b = json.load(open(\"resumed.json\"))
assert a[\"weights\"] == b[\"weights\"] and b[\"training\"][\"mf_ratio\"] == 0.5"' "a resumed MeanFlow run differs"
ok flow-train --convert mf.json -o mf.safetensors
ok flow-sample -m mf.safetensors -n 2000 --steps 1 --seed 5 -o st1.npy
check 'cmp -s mf1.npy st1.npy' "the safetensors form samples other bytes"
# One step is one network pass: NFE 1; flow-traj walks the same steps
ok flow-sample -m mf.json -n 100 --steps 2 --log log.json -o /dev/null
check 'grep -q "\"nfe\":2" log.json' "two MeanFlow steps are not two evaluations ($(tail -1 log.json))"
ok flow-traj -m mf.json -n 100 --steps 4 -o traj.npy
check 'py "import numpy as np; assert np.load(\"traj.npy\").shape == (5, 100, 2)"' "flow-traj: want 5 states"

# Guidance trained in: labelled 8gaussians (a class per component); with --mf-guidance 2 a
# guided sample is one pass per step and lands on its class (measured: 1.0 of the points at 1
# step unguided, 0.998 at 4 steps guided)
ok flow-sample -m "$M/gmm8-classes.json" -n 500 --class all --solver midpoint --steps 20 --seed 3 -o cdata.npy
ok flow-train cdata.npy --conditional --objective meanflow --t-dist meanflow --mf-guidance 2 --width 64 --steps 1500 --seed 1 -q -o cmf.json
ok flow-sample -m cmf.json -n 100 --class all --steps 4 --seed 5 --log clog.json -o cs.npy
check 'grep -q "\"nfe\":4" clog.json' "a guided MeanFlow step is not one evaluation ($(tail -1 clog.json))"
frac=$(on_class cdata.npy cs.npy)
check "awk 'BEGIN { exit !($frac > 0.95) }'" "guided MeanFlow samples do not land on their class: $frac of them"

# What a MeanFlow model cannot do, and what needs one: one line each
bad 2 "is an average-velocity model: it takes its own steps \(--solver meanflow\), not rk4" flow-sample -m mf.json --solver rk4
bad 2 "not em" flow-sample -m mf.json --solver em
bad 2 "has its guidance trained in" flow-sample -m cmf.json --class 1 --guidance 2
bad 1 "not a flow: it has no exact log density" flow-sample -m mf.json --logp
bad 1 "not a flow: it has no exact log density" flow-eval logp -m mf.json real.npy
bad 2 "steps forwards in time only" flow-sample -m mf.json --from real.npy --t0 1 --t1 0
bad 2 "--solver meanflow needs an average-velocity model" flow-sample -m fm.json --solver meanflow
bad 2 "--net unet needs images" flow-train --toy moons --objective meanflow --net unet
bad 2 "--objective meanflow: the network predicts the \(average\) velocity" flow-train --toy moons --objective meanflow --predict noise
bad 2 "no --val-fraction" flow-train real.npy --objective meanflow --val-fraction 0.1
bad 2 "--mf-guidance needs --conditional" flow-train --toy moons --objective meanflow --mf-guidance 2
bad 2 "--mf-ratio must be in \[0, 1\]" flow-train --toy moons --objective meanflow --mf-ratio 2
bad 2 "need --objective meanflow \(or shortcut\)" flow-train --toy moons --mf-power 0
py "import json; m = json.load(open('mf.json')); m['architecture']['time_inputs'] = 1; json.dump(m, open('one.json', 'w'))"
bad 1 "a meanflow model's network takes 2 time inputs, the architecture says 1" flow-sample -m one.json
py "import json; m = json.load(open('mf.json')); m['objective'] = 'consistency'; json.dump(m, open('unk.json', 'w'))"
bad 1 "unknown objective 'consistency'" flow-sample -m unk.json
finish
