# flow-sample: bad flags are usage errors (exit 2), bad models and inputs runtime errors
# (exit 1); each one line on stderr naming what is wrong, nothing on stdout.
source "$FLOWKIT_SRC/tests/cli/lib.sh"
M="$FLOWKIT_SRC/share/models"
G="$M/gmm8.json"

bad 2 "unknown solver 'rk5'; one of euler, midpoint, heun, rk4, ab2, ab3, dopri5, em" flow-sample -m "$G" --solver rk5
bad 2 "unknown noise 'loud'; one of none, constant, linear, schedule" flow-sample -m "$G" --solver em --noise loud
bad 2 "unknown grid 'log'; one of uniform, quadratic, cosine, power:P or a file of times" flow-sample -m "$G" --grid log
bad 2 "unknown drift 'up'; one of score, plain" flow-sample -m "$G" --solver em --drift up
bad 2 "--steps must be 1..1000000, got 0" flow-sample -m "$G" --steps 0
bad 2 "-n must be >= 0, got -5" flow-sample -m "$G" -n -5
bad 2 "--rtol and --atol must be positive" flow-sample -m "$G" --solver dopri5 --rtol 0
bad 2 "--rtol and --atol must be positive" flow-sample -m "$G" --solver dopri5 --atol -1
bad 2 "--t1 must be in \[0, 1\], got 2" flow-sample -m "$G" --t1 2
bad 2 "--noise needs --solver em" flow-sample -m "$G" --solver rk4 --noise constant
bad 2 "--sigma must be >= 0" flow-sample -m "$G" --solver em --sigma -1
bad 2 "--t0 1.* give the start points with --from FILE" flow-sample -m "$G" --t0 1 --t1 0
bad 2 "has none; use --drift plain" flow-sample -m "$M/ou.json" --solver em --drift score
bad 2 "--class needs a class-conditional model" flow-sample -m "$G" --class 3
bad 2 "--guidance needs --class" flow-sample -m "$G" --guidance 2
bad 2 "model" flow-sample -n 10
bad 1 "dopri5 reached its cap of 5 steps" flow-sample -m "$G" --solver dopri5 --max-steps 5 -n 10

# Model files: missing, truncated, not a model, wrong version, unknown type, bad numbers
bad 1 "cannot open model nope.json" flow-sample -m nope.json
head -c 100 "$G" >cut.json
bad 1 "cut.json: invalid JSON at byte offset [0-9]+: " flow-sample -m cut.json
echo '[1, 2]' >arr.json
bad 1 "arr.json: a model file is a JSON object" flow-sample -m arr.json
sed 's/"version": 1/"version": 7/' "$G" >v7.json
bad 1 "v7.json: model version 7 is not supported" flow-sample -m v7.json
sed 's/"type": "gmm"/"type": "spline"/' "$G" >spline.json
bad 1 "spline.json: unknown model type \"spline\"; one of learned, gmm, linear" flow-sample -m spline.json
sed 's/"format": "flowkit-model"/"format": "other"/' "$G" >other.json
bad 1 "other.json: not a flowkit model" flow-sample -m other.json
sed 's/"variances": \[\[0.04/"variances": [[-0.04/' "$G" >neg.json
bad 1 "neg.json: \"variances\" row 0 has an entry <= 0" flow-sample -m neg.json

# --from: missing file, wrong dimension, more rows asked than given
bad 1 "nothing.npy" flow-sample -m "$G" --from nothing.npy
printf '1,2,3\n4,5,6\n' >three.csv
bad 1 "--from three.csv: points of dimension 3 \(shape \(2, 3\)\), but the model's have dimension 2" \
  flow-sample -m "$G" --from three.csv
printf '1,2\n' >one.csv
bad 2 "-n 5 is more than the 1 points of --from one.csv" flow-sample -m "$G" --from one.csv -n 5
# --png for data that is neither 2-D nor images
printf '{"format": "flowkit-model", "version": 1, "type": "linear", "A": [[-1]]}' >ou1.json
bad 2 "--png draws samples of 2-D points or images" flow-sample -m ou1.json --png x.png
check '[ ! -e x.png ]' "a failed run left x.png"
finish
