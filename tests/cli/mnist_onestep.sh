# share/examples/mnist-onestep.sh --quick: the teacher distilled into one pass end to end (and
# the --shortcut model's run). The grid is 10 one-pass digits of each class; the figures it
# prints are flow-eval's for its own files (the teacher's 40 evaluations, each student's one
# pass, the held-out digits cut in two); a guided sample is one network pass.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
sh_ok "bash '$FLOWKIT_SRC/share/examples/mnist-onestep.sh' --quick out >report.txt"
digit_grid out/grid.npy "assert np.isfinite(x).all()"
check '[ -s out/mnist-onestep.png ]' "no picture"
ok flow-eval compare out/real-a.npy out/real-b.npy --metrics knn,fd -o floor.json
for f in teacher teacher-guided one-w1 one; do ok flow-eval compare "out/$f.npy" out/real-b.npy --metrics knn,fd -o "$f.json"; done
check '"$PYTHON" -c "
import json, re
r = open(\"report.txt\").read()
def figures(label):
    m = re.search(re.escape(label) + r\".*kNN ([0-9.]+), FD ([0-9.]+)\", r)
    assert m, (label, r)
    return [float(v) for v in m.groups()]
for label, f in ((\"real against real\", \"floor\"), (\"the teacher, midpoint 20 (40 evaluations), W = 1:\", \"teacher\"),
                 (\"the teacher, midpoint 20 (80 passes), W = 3:\", \"teacher-guided\"),
                 (\"student distilled at W = 1:\", \"one-w1\"), (\"student distilled at W = 3:\", \"one\")):
    j = json.load(open(f + \".json\"))
    want = [j[\"knn_agreement\"], j[\"fd\"]]
    got = figures(label)
    assert all(abs(a - b) <= 6e-4 for a, b in zip(got, want)), (label, got, want)
    assert j[\"n_a\"] == 500 and j[\"n_b\"] == 500, j
assert re.search(r\"1000 guided digits in [0-9.]+ s .one network pass each.\", r), r
assert re.search(r\"100 guided digits by the teacher.s midpoint 20 in [0-9.]+ s\", r), r"' \
  "the report is not flow-eval's figures ($(cat report.txt))"
# The default is distillation from the teacher; --shortcut trains a shortcut model instead
check '"$PYTHON" -c "
import json
for f in (\"out/model-w3.json\", \"out/model-w1.json\"):
    m = json.load(open(f))
    assert m[\"objective\"] == \"distill\" and m[\"training\"][\"init\"] == \"teacher.json\", f
assert json.load(open(\"out/teacher.json\")).get(\"objective\", \"flow-matching\") == \"flow-matching\""' \
  "the default students are not distilled from the teacher"
sh_ok "bash '$FLOWKIT_SRC/share/examples/mnist-onestep.sh' --quick --shortcut sc >sc-report.txt"
check '"$PYTHON" -c "import json; assert json.load(open(\"sc/model-shortcut.json\"))[\"objective\"] == \"shortcut\""' \
  "--shortcut does not train a shortcut model"
check 'grep -q "one pass of the shortcut model, W = 2 trained in:" sc-report.txt' "no shortcut figures ($(cat sc-report.txt))"
check '[ -s sc/mnist-onestep.png ]' "no shortcut picture"
ok flow-sample -m out/model-w3.json --class all -n 2 --log log.json -o /dev/null
check 'grep -q "\"nfe\":1," log.json' "a guided distilled sample is not one evaluation ($(tail -1 log.json))"
# the --shortcut run's figures are one pass each: its grid, its scores, its timing
for d in out sc; do
  check 'grep -q "\"nfe\":1," $d/grid.log && grep -q "\"nfe\":1," $d/one.log && grep -q "\"nfe\":1," $d/timed.log' \
    "$d: the one-pass model's grid, scores and timing are not one pass each ($(cat $d/*.log | grep nfe))"
done
finish
