# share/examples/mnist-onestep.sh --quick: a tiny shortcut U-Net end to end (and its --meanflow
# model's grid). The grid is 10
# one-step digits of each class; the figures it prints are flow-eval's for its own files (500
# one-step samples and the held-out digits cut in two); a sample is one network pass.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
sh_ok "bash '$FLOWKIT_SRC/share/examples/mnist-onestep.sh' --quick out >report.txt"
digit_grid out/grid.npy "assert np.isfinite(x).all()"
check '[ -s out/mnist-onestep.png ]' "no picture"
for f in one floor; do
  ok flow-eval compare "out/$([ $f = one ] && echo one || echo real-a).npy" out/real-b.npy --metrics knn,fd -o "$f.json"
done
check '"$PYTHON" -c "
import json, re
r = open(\"report.txt\").read()
m = re.search(r\"kNN agreement ([0-9.]+), Frechet distance ([0-9.]+) \\(real against real: ([0-9.]+), ([0-9.]+)\\)\", r)
one, floor = json.load(open(\"one.json\")), json.load(open(\"floor.json\"))
got = [float(v) for v in m.groups()]
want = [one[\"knn_agreement\"], one[\"fd\"], floor[\"knn_agreement\"], floor[\"fd\"]]
assert all(abs(a - b) <= 1e-6 * abs(b) for a, b in zip(got, want)), (got, want)
assert one[\"n_a\"] == 500 and one[\"n_b\"] == 500 and floor[\"n_a\"] == 500, (one, floor)
assert re.search(r\"1000 guided digits in [0-9.]+ s\", r), r"' "the report is not flow-eval's figures ($(cat report.txt))"
# The default objective is the shortcut model's; --meanflow trains MeanFlow's
sh_ok "bash '$FLOWKIT_SRC/share/examples/mnist-onestep.sh' --quick --meanflow mf >mf-report.txt"
check '"$PYTHON" -c "
import json
assert json.load(open(\"out/model.json\"))[\"objective\"] == \"shortcut\"
assert json.load(open(\"mf/model.json\"))[\"objective\"] == \"meanflow\""' "the objectives are not shortcut and meanflow"
check '[ -s mf/mnist-onestep.png ]' "no MeanFlow picture"
ok flow-sample -m out/model.json --class all -n 2 --steps 1 --log log.json -o /dev/null
check 'grep -q "\"nfe\":1" log.json' "a one-step guided sample is not one evaluation ($(tail -1 log.json))"
finish
