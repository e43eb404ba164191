#!/usr/bin/python3
"""Writes share/tutorial.md and man/flowkit-tutorial.7 from one source: the prose below and the
commands of share/tutorial/make-pictures.sh (each "# step N" block), so the two stay in step.
Usage: /usr/bin/python3 share/tutorial/make-docs.py (from anywhere)."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

INTRO = """This is a path through the ideas behind flow matching and diffusion models, one step at a \
time, each with a command you can run and the picture it makes. You need nothing but a shell: \
build flowkit, put build/bin on your PATH, and run the commands from the top of the source tree \
in order (later steps use files that earlier ones wrote). Two names save typing: M is the folder \
of example models and S the picture size."""

SETUP = 'export PATH="$PWD/build/bin:$PATH" M="$PWD/share/models" S="--size 480x480"\nmkdir -p tutorial-run && cd tutorial-run'

RUNALL = """share/tutorial/make-pictures.sh runs every command below in order in a folder of your \
choice and writes every picture (about fifteen minutes on two cores); the test suite runs it with \
FLOWKIT_QUICK=1, which caps training steps, solver steps and sample counts, so the commands here \
cannot drift from the programs."""

# (title, prose paragraphs, pictures)
STEPS = [
 ("Data as vectors",
  ["A generative model learns from examples, and to a program every example is a list of numbers: \
a vector. The moons data set is 2000 points in the plane, so each example is 2 numbers and the \
data set is a 2000 x 2 array (`flow-data info` shows its shape and ranges). A picture is a vector \
too: an 8x8 grey digit is 64 numbers in [0, 1], read row by row; the second command prints one \
digit as those 64 numbers. Everything that follows works the same in 2 dimensions, where we can \
draw it, and in 64."],
  ["01-moons.png", "01-digits.png"]),
 ("Distributions and sampling",
  ["A distribution says how likely each point is; sampling draws points so that likely regions \
fill up. The standard normal N(0, I) is a round cloud around the origin; a Gaussian mixture is a \
weighted sum of such bumps, here 8 small ones on a circle of radius 3. The model file \
share/models/gmm8.json describes that mixture exactly, so `flow-eval logp` can give its exact log \
density at every point of a grid: the heat map. Learning a generative model means finding a way \
to turn samples of the easy distribution (the round cloud) into samples of the hard one (the \
data), without knowing its density."],
  ["02-samples.png", "02-logp.png"]),
 ("Vector fields and flows",
  ["A vector field gives every point a velocity: an arrow. Let a point move along the arrows and \
it traces a trajectory; moving all points at once is a flow. rotation.json holds the field \
u(x, y) = (-pi y, pi x): arrows circle the origin, and following them from t = 0 to t = 1 turns \
every point by half a turn. `flow-traj` follows the field with a numerical ODE solver (here rk4) \
and records where each point is at each step. This is the whole trick of flow matching: find a \
field whose flow carries the round cloud onto the data."],
  ["03-field.png", "03-flow.png"]),
 ("Brownian motion and the Ornstein-Uhlenbeck process",
  ["A stochastic differential equation (SDE) adds noise to the motion: at each small step h the \
point moves by u h plus a random kick of size sigma sqrt(h). With the zero field (brownian.json) \
that is Brownian motion: points started at the origin wander off, farther for larger sigma. With \
the field u = -2 x (ou.json) every point is also pulled back to the origin: the \
Ornstein-Uhlenbeck process, which forgets where it started and settles in a cloud whose width \
grows with sigma. `--solver em` is Euler-Maruyama, the simplest SDE solver; `--drift plain` uses \
the field as it is and `--noise constant` keeps sigma fixed."],
  ["04-brownian-0.5.png", "04-brownian-2.png", "04-ou-0.5.png", "04-ou-2.png"]),
 ("A flow from N(0, I) to a mixture",
  ["For a Gaussian mixture the perfect field is known in closed form (the formulas are in \
MATH.md), so gmm8.json can be used as a model without any training. At each time t the field \
points every location towards the bumps it is likely to reach; its flow carries the round cloud \
at t = 0 onto the 8 bumps at t = 1. Stopping the solver early (`--t1`) shows the samples on the \
way: the distribution at time t is the one of t x1 + (1 - t) x0, a data point x1 and a noise \
point x0 mixed in proportion t."],
  ["05-field.png", "05-traj.png", "05-t0.png", "05-t0.25.png", "05-t0.5.png", "05-t0.75.png", "05-t1.png"]),
 ("Learning the field from data",
  ["For real data the field is unknown, but it can be learned by regression. Draw a data point x1, \
a noise point x0 and a time t; the point x_t = t x1 + (1 - t) x0 moves with velocity x1 - x0 along \
the straight line between them. A network trained to predict x1 - x0 from (x_t, t), averaged over \
all such pairs, learns exactly the field whose flow carries noise to data: that is flow matching. \
`flow-train` does it on the checkerboard (90% of 20000 points; 10% kept aside for later) and logs \
the loss as JSON lines. The loss does not go to zero (many pairs pass through the same x_t with \
different velocities) but it flattens when the field is learned.",
   "Then sample: start from N(0, I) and solve the ODE with the learned field. Euler with 2 steps \
gives a blur, 5 steps the board's outline, 20 and 100 steps sharp squares. rk4 uses 4 field \
evaluations (NFE) a step and dopri5 chooses its own steps to meet a tolerance, reporting its NFE \
in the log. `flow-eval compare` measures the 2-Wasserstein distance of each sample set to the \
held-out points: more evaluations buy accuracy, until the network's own error dominates. In one \
run W2 was 1.70 for Euler with 2 steps, 0.76 with 5, 0.52 with 20 and 0.516 with 100; rk4 with 10 \
steps (NFE 40) gave 0.520 and dopri5 0.517 with NFE 146. Past about 40 evaluations nothing \
improves: what is left is the network's error. 2000 steps leave the squares soft; \
`share/demo` trains for 8000 and they come out sharp."],
  ["06-loss.png", "06-euler-2.png", "06-euler-5.png", "06-euler-20.png", "06-euler-100.png", "06-rk4.png", "06-dopri5.png"]),
 ("Diffusion: the same model as an SDE",
  ["Noise can be added while sampling without changing the result, if a correction comes with it. \
The score s(x, t), the gradient of the log density at time t, points uphill towards likely \
points; for the linear path it follows from the velocity itself. The SDE dX = [v + g^2/2 s] dt \
+ g dW has the same distribution at every time as the ODE: the noise spreads the points and the \
score term pulls them back exactly as much. Sampled with Euler-Maruyama at sigma = 0.5, 1, 2 \
(g = sigma (1 - t)), the board stays a board. Without the score term (`--drift plain`) nothing \
compensates the noise and the squares blur: in one run W2 was 0.57, 0.57 and 0.54 with the \
score term against 1.02 without it (0.52 for the ODE)."],
  ["07-em-0.5.png", "07-em-1.png", "07-em-2.png", "07-em-plain.png"]),
 ("Density",
  ["A flow also gives exact likelihoods. Following a point backwards from t = 1 to t = 0, its log \
density changes by minus the divergence of the field (how fast the flow spreads there), so \
log p(x) = log N(x0; 0, I) - the integral of div v along the way. `flow-eval logp` does this for \
every point of a grid: the heat map shows the learned board beside the held-out data. On the \
held-out points the mean negative log-likelihood (NLL, -mean log p) can be compared with the true \
entropy of the checkerboard, log 32 = 3.466 nats: no model can do better on average, and the gap \
is what the model has not learned. In one run the NLL was 4.16 nats (standard error 0.01): \
after 2000 steps the model still spreads mass over the empty squares, as its heat map shows; \
longer training (--steps 8000) narrows the gap."],
  ["08-logp.png", "08-data.png"]),
 ("Bridges and straight paths",
  ["The source need not be noise: `--source` learns a flow from one data set (8 Gaussians) to \
another (moons). Pairing source and target points at random (`--coupling independent`) makes \
paths that cross, so the averaged field bends them. Pairing them inside each mini-batch by \
optimal transport (`--coupling ot`: each source point goes to a nearby target) gives paths that \
hardly cross and come out nearly straight. `flow-eval paths` measures it: the path energy (mean \
of the squared speed) and the straightness (1 for straight lines); straighter paths need fewer \
solver steps. In one run (800 training steps each) the independent coupling gave path energy \
2.91 and straightness 0.55, minibatch OT 0.71 and 0.99."],
  ["09-bridge-independent.png", "09-bridge-ot.png"]),
 ("Images and guidance",
  ["Images are just longer vectors, so the same recipe learns digits: 64 numbers in place of 2. \
With `--conditional` the network also sees the label, and now and then (15% of the time) does \
not, so it learns both the unconditional field u(x, t) and the class field u(x, t, y). The \
guidance weight W mixes them: (1 - W) u(x, t) + W u(x, t, y). W = 0 ignores the label (each row \
of the picture should hold a digit of its class only by chance), W = 1 is the plain conditional \
model, and W = 3 pushes past it: digits more clearly of their class, less varied. The last \
picture follows four samples from noise to a 3. This step trains for a few minutes \
(1500 steps), enough for the rows to differ but not for clean digits; share/examples/ has longer \
runs."],
  ["10-guidance-0.png", "10-guidance-1.png", "10-guidance-3.png", "10-traj.png"]),
 ("28x28 images with a U-Net",
  ["An MLP treats an image as a list of numbers and has to learn from scratch that neighbouring \
pixels belong together. At 28 x 28 (MNIST: 784 numbers) that no longer works in minutes; every \
image model uses a convolutional U-Net instead: 3x3 filters that slide over the image (the same \
weights at every pixel), a path down that halves the image twice (28, 14, 7) so that the deepest \
layer sees the whole digit, and a path up that brings back the detail through skip connections. \
The time and the label enter every block as a learned vector. `--net unet` builds it; \
`--channels 16,32,64` gives its three levels. The digits are quantized (256 grey levels), and \
`--dequantize` adds fresh noise within a level to every batch, so that the model learns a \
density rather than spikes (which matters for bits per dimension, flow-eval(1)).",
   "This step trains a small U-Net for 2000 steps (about four and a half minutes on two cores). The rows at W = 1 \
are mostly digits of their class, some of them scrawls; W = 3 makes them cleaner and bolder. The last command asks \
a 5-nearest-neighbour classifier, fitted on the 1,000 held-out digits, which digit each guided \
sample shows: it agrees with the requested class 99% of the time. The samples take five evaluations \
of the field each (two network passes each when W is not 1): Adams-Bashforth 3 (`--solver ab3`, one evaluation per step) on 4 steps that \
shorten towards the data (`--grid power:2`), where the field of a dequantized model bends; \
share/examples/cost-quality.sh measures them as good as midpoint's 40 (README.md, \
\"Fewer network evaluations\"). The trajectory keeps 20 even steps, to show the path at even \
times. share/examples/mnist.sh trains a larger U-Net for about an hour."],
  ["11-mnist-w1.png", "11-mnist-w3.png", "11-traj.png"]),
 ("Curved spaces: the sphere and the torus",
  ["A direction, or a place on the Earth, is a point on the sphere: a unit vector (x, y, z), \
latitude asin z and longitude atan2(y, x). A pair of angles, such as a protein's backbone angles \
(phi, psi), is a point on the torus [0, 2 pi)^2, where 0 and 2 pi are the same angle. A flat \
flow knows neither: it puts mass off the sphere and cuts the torus at its edges. `flow-train \
--manifold sphere|torus` learns a flow that stays there. The straight line from x0 to x1 becomes \
the geodesic, the shortest way along the surface (a great circle on the sphere, a line that \
wraps around on the torus); the network's output is projected onto the tangent plane at the \
point, so that it never pushes off the surface; the solvers put every stage back onto it. The \
source is the uniform law on the surface, and `flow-eval logp` is exact there, in nats per unit \
of area.",
   "`flow-plot --projection` draws the sphere: `ortho` as a globe seen from `--centre LAT,LON` (the \
far side hidden), `mollweide` as Mollweide's equal-area map (equal areas of the sphere cover \
equal areas of the map, so a density of dots is a density on the sphere) and `equirect` as the \
longitude-latitude rectangle. The first picture is flow_matching's checkerboard wrapped round \
the north pole (`flow-data sphere-checkerboard`). Then a flow learns three von Mises-Fisher \
clusters (the sphere's Gaussians) in 3000 steps, its log density is computed over a \
latitude-longitude grid (`flow-data grid --sphere`) and drawn on the map, and its paths from the \
uniform law on a globe. On the torus `--projection torus` wraps the angles into the square and \
cuts a path where it crosses the edge: the cluster at the bottom left reaches across the corner, \
and its paths leave the square on one side to come back on the other. share/examples/sphere.sh \
and torus.sh compare such densities with the exact ones."],
  [("12-board.png", "45%"), ("12-dirs-paths.png", "45%"), ("12-dirs-density.png", "60%"), ("12-torus-paths.png", "45%")]),
 ("Tokens: discrete flow matching",
  ["Some data are made of tokens, not points: a grey level out of 256, a category, a word. A \
sequence x = (x^1 .. x^L) holds L tokens, each one of V values 0 .. V-1, and moving a token by a \
small amount means nothing: the flow has to jump. `flow-data checkerboard --levels 32` cuts the \
board's window [-4, 4)^2 into a 32 x 32 grid, so each point becomes L = 2 tokens of V = 32 \
(an integer array: `flow-data info` says so, and every program then treats it as tokens). The \
data are uniform on the 512 cells of the 8 filled squares, so their entropy is ln 512 = 6.238 \
nats; `--labels` keeps each point's square, 0 to 7, as its class. The source is MASK, an extra \
token V = 32 at every position (`--source mask`; `--source uniform` draws each token uniformly \
instead), and the mixture path replaces the straight line: token by token, x_t^i = x_1^i with \
probability kappa(t), else the source's token, here kappa(t) = t^2 (`--kappa poly:2`). At t = 0 \
every token is masked, at t = 1 every one is data, and in between each has been revealed or not, \
independently.",
   "The network sees (x_t, t), each token as a one-hot input, and gives for every position the \
posterior p_{1|t}(y | x_t): how likely the data token there is y, given what is visible now. \
`flow-train` on an integer file trains it (the data decide that the flow is discrete). `--loss ce` \
minimizes the cross-entropy -log p_{1|t}(x_1^i) of the data token; `--loss kl` the generalized KL \
of flow_matching, -kappa'/(1 - kappa) [p_{1|t}(x_t^i) - delta(x_1^i, x_t^i) + (1 - delta) log \
p_{1|t}(x_1^i)], the divergence of the model's jump rates from the true ones.",
   "Sampling follows rates instead of a velocity: u^i(y) = kappa'/(1 - kappa) (p_{1|t}(y | x_t) - \
delta(y, x_t^i)), the rate of jumping from x_t^i to y (the diagonal, negative, is minus the rate of \
leaving). In a step of length h each token leaves its value with probability 1 - exp(-h sum_{y != \
x_t^i} u^i(y)) and lands on y in proportion to u^i(y); the last step draws every token from the \
posterior. `--corrector C` adds jumps to fresh draws of the path's own law at t, which change no \
marginal but let the sampler undo early choices. The tokens of a step move independently, so \
when both tokens of a sequence jump in the same step they may land on an empty cell: an O(h) \
error. `flow-eval compare` on tokens gives the exact total variation (TV) between the histograms \
of two token sets over the 1,024 cells, and a_outside_b, the share of samples on cells the fresh \
data never visit. With 8 jump steps 9.9% of 20,000 samples land off the board (TV 0.168), with 64 \
steps 1.1% (TV 0.122), with 64 steps and corrector 1 1.5% (TV 0.123); the floor, two sets of \
20,000 true draws, is TV 0.090. The trajectories show the jumps: every path starts at the MASK \
corner (32, 32), one coordinate is revealed (a horizontal or vertical line), then the other; a \
diagonal line is both in the same step.",
   "A jump process has no change of variables, but it has a bound: -log p(x_1) <= integral_0^1 \
E_{x_t} sum_i KL^i dt, the generalized KL above integrated over time (the evidence lower bound, \
ELBO, of -log p). `flow-eval elbo` estimates it for each sequence with stratified times \
(`--strata`; stratified in kappa, so that kappa' dt = d kappa and the estimate does not depend on \
the schedule's shape) and gives the mean with its standard error, in nats per sequence and per \
token and in bits per token. On the 20,000 fresh cells it is 6.305 +- 0.033 nats (3.153 nats, \
4.548 bits per token) against the entropy ln 512 = 6.238: no model can do better on average, and \
with a mask source the bound of the exact posterior is tight (every order of revealing the tokens \
is an exact chain rule), so the gap of 0.07 nats, two standard errors, is what the network has \
not learned. The exact oracle shows it without a network: share/models/discrete-table.json is a \
model whose posterior is Bayes' rule on a table of 25 probabilities (L = 2, V = 5, entropy 2.5336 \
nats); the ELBO of its own 20,000 samples (500 jump steps) is 2.523 +- 0.008, 1.3 standard errors \
from the entropy (2 of the samples fall on empty cells, the sampler's O(h) error, and are counted \
apart with a warning).",
   "With `--conditional` the network also sees the square's label (dropped now and then, as in \
step 10), and `--class K --guidance W` samples with the rates u(y | x, c)^W u(y | x)^(1 - W) \
(guidance on the rates, Nisonoff et al. 2024). The awk line counts the samples of class 5 on \
its square, [16, 24) x [16, 24): 13.9% at W = 0 (the unconditional model: one in eight by \
chance), 99.9% at W = 1 and 99.85% at W = 3; here the label alone already picks the square, and \
guidance earns its keep where the classes overlap (tests/cli/discrete_class.sh). \
share/examples/discrete-checkerboard.sh runs flow_matching's own setting: a 128 x 128 grid, a \
uniform source and the KL loss."],
  ["13-data.png", "13-samples.png", "13-traj.png"]),
 ("Fewer steps",
  ["A sample costs (network evaluations) x (one evaluation). One evaluation already runs as fast \
as the machine allows, so what is left is how many. The solvers differ in evaluations per step \
(NFE): euler 1, midpoint and heun 2, rk4 4, and Adams-Bashforth (`ab2`, `ab3`) 1, because they \
reuse the velocities of the last one or two steps (a midpoint first step starts them, so N \
steps cost N + 1); dopri5 chooses its own steps (step 6). A flow-matching teacher on 8gaussians \
(width 64, 3000 steps) is sampled with each of them for 1, 2 and 4 steps, and each set of 2,000 \
samples is scored by W2 to 2,000 fresh points, beside the floor of two fresh sets, 0.187 (below \
it is noise). Euler gives 1.954, 0.728, 0.248 for 1, 2, 4 evaluations; midpoint 0.976, 0.253, \
0.138 for 2, 4, 8; heun 1.422, 0.341, 0.149 for 2, 4, 8; rk4 0.429, 0.149, 0.146 for 4, 8, 16; \
ab3 0.976, 0.424, 0.178 for 2, 3, 5 (one ab3 step is its midpoint start). At 4 evaluations \
Euler's 4 steps (0.248) are as good as midpoint's 2 (0.253) and better than heun's 2 (0.341) and \
rk4's 1 (0.429): with few evaluations, many cheap steps are worth as much as few accurate ones. \
ab3 reaches the floor with 5 evaluations, midpoint, heun and rk4 with 8.",
   "The time grid says where the steps go: `--grid power:2` (t = 1 - (1 - s)^2) and `cosine` \
shorten them towards the data, where this field bends most, and `--grid FILE` takes the times \
from a file. ab3 with 2 steps (3 evaluations) gives 0.424 on the uniform grid, 0.229 on power:2 \
and 0.242 on cosine. share/examples/cost-quality.sh MODEL DATA prints the whole table for any \
model (every solver, 1 to 32 steps), and with --reference the Frechet distance of image samples \
(README.md, \"Fewer network evaluations\").",
   "Below a few evaluations the paths themselves must be straight. One Euler step from x0 follows \
v(x0, 0), the average direction to all the data that x0 may reach, so the teacher's single step \
lands every point near the mean (W2 1.954, the first picture). Reflow (Liu et al. 2023, rectified \
flow) samples the teacher with its own ODE and keeps each sample beside the noise it came from \
(`flow-sample --pairs`: an array (n, 2, d), [i, 0] the noise and [i, 1] the sample), then trains \
a new model on these fixed pairs (`flow-train --pairs`) instead of independently drawn ones. The \
teacher's paths never cross, so the straight lines between its pairs hardly do, and the student's \
paths come out straight: `flow-eval paths` gives straightness 0.643 for the teacher and 0.999 for \
the student (path energy 2.22 against 0.83), and one Euler step of the student has W2 0.159, at \
the floor (the pairs' noise is not the noise the scores draw: `--seed 41`).",
   "MeanFlow (Geng et al. 2025) needs no teacher. The network learns the average velocity \
u(x, r, t) = 1/(t - r) integral_r^t v ds over an interval, so that x_t = x_r + (t - r) u(x_r, r, \
t) is exact for a step of any length. Differentiating in r gives the identity u = v + (t - r) \
du/dr, du/dr taken along the flow (a Jacobian-vector product of the network, in forward mode); \
its right side, with the gradient stopped, is the regression target (`--objective meanflow`; \
`--t-dist meanflow` is the paper's distribution of times). `flow-sample --steps 1` takes one \
average-velocity step: W2 0.448, four times closer than the teacher's one step, though not at \
the floor as the reflowed student is at this budget. With `--conditional --mf-guidance W` the \
guidance is trained in, so a guided sample costs one pass too; such a model has no exact log \
density and takes no other solver (flow-eval(1), flow-sample(1) refuse them in one line). The \
same objective runs through the U-Net (`--net unet`: the forward-mode product goes through its \
convolutions, GroupNorm and time embedding; it keeps to two time frequencies, since the product \
multiplies the k-th one's tangent by pi 2^k): share/examples/mnist-onestep.sh --meanflow draws MNIST \
digits in one network pass each.",
   "A shortcut model (Frans et al. 2024, `--objective shortcut`) learns the same average velocity \
without the forward-mode product: two steps of d/2, taken by the network itself with the \
gradient stopped, are the target of one step of d, for d = 1, 1/2, ..., 1/64, and the other \
points learn the velocity as flow matching does. The model file, the sampler and what it \
refuses are MeanFlow's. One step gives W2 0.255 (energy distance 0.0023, MeanFlow's 0.0140, \
the teacher's 100 Euler steps -0.002, at the noise level), the fourth picture: the arms are \
found, with a thin trail of points between them that 2,000 points' W2 hardly sees. On MNIST \
one shortcut step comes closer to the data than one MeanFlow step (share/examples/mnist-onestep.sh \
--shortcut).",
   "Distillation (rectified flow's, `--objective distill`) keeps the teacher's pairs but asks the \
student for the one step alone: every pair is learned at t = 0, where the point is the noise x0 \
itself and the flow-matching target is x1 - x0, so that one pass x0 + u(x0, 0) lands where the \
teacher's ODE took x0. The student starts from the teacher's network (`--init teacher.json`: its \
weights and normalization, a fresh optimizer) and samples with one step only. One pass gives W2 \
0.134, the fifth picture, at the floor (two sets of 2,000 real points differ by 0.187: W2 at this \
size has noise of its own, and samples a little tighter than the data come under it). On MNIST a distilled student draws a digit in one pass as well as the \
teacher's 40 evaluations do (share/examples/mnist-onestep.sh, its default; doc/MATH.md, \
\"Distillation\")."],
  ["14-teacher-1.png", "14-reflow-1.png", "14-meanflow-1.png", "14-shortcut-1.png", "14-distill-1.png",
   "14-teacher-paths.png", "14-reflow-paths.png"]),
]


def blocks():
    """The command block of each step of make-pictures.sh, in order."""
    text = open(os.path.join(HERE, "make-pictures.sh")).read()
    parts = re.split(r"^# step \d+: .*$", text, flags=re.M)[1:]
    return [p.strip("\n") for p in parts]


def widths(pics):
    """(name, width) of each picture: a quarter of the page each when there are more than three,
    else almost half, unless the step gives a picture's width as (name, width)."""
    default = "24%" if len(pics) > 3 else "45%"
    return [p if isinstance(p, tuple) else (p, default) for p in pics]


def markdown(cmds):
    out = ["# A learner's path through flowkit", "", INTRO, "", "```bash", SETUP, "```", "", RUNALL, ""]
    for i, ((title, paras, pics), cmd) in enumerate(zip(STEPS, cmds), 1):
        out += [f"## {i}. {title}", ""]
        for p in paras:
            out += [p, ""]
        out += ["```sh", cmd, "```", ""]
        out += [" ".join(f'<img src="tutorial/{p}" width="{w}" alt="{p}">' for p, w in widths(pics)), ""]
    out += ["See also: flowkit(7) for the streams the programs pass each other, and each program's "
            "man page (flow-data(1), flow-plot(1), flow-train(1), flow-sample(1), flow-traj(1), "
            "flow-eval(1)) for every flag.", ""]
    return "\n".join(out)


def roff_text(s):
    """Prose to roff: escape backslashes and minus signs, `code` in bold."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    s = re.sub(r"`([^`]*)`", r"\\fB\1\\fP", s)
    return s


def roff_code(s):
    lines = []
    for l in s.split("\n"):
        l = l.replace("\\", "\\e").replace("-", "\\-")
        if l.startswith(".") or l.startswith("'"):
            l = "\\&" + l
        lines.append(l)
    return "\n".join(lines)


def roff(cmds):
    out = ['.TH FLOWKIT-TUTORIAL 7 2026-11-28 "flowkit 0.1.0" "flowkit manual"',
           ".SH NAME", "flowkit-tutorial \\- a learner's path through flow matching and diffusion, in commands",
           ".SH SYNOPSIS", ".B share/tutorial/make\\-pictures.sh", ".RI [ dir ]",
           ".SH DESCRIPTION", roff_text(INTRO), ".PP", ".RS 4", ".EX", roff_code(SETUP), ".EE", ".RE",
           ".PP", roff_text(RUNALL)]
    for i, ((title, paras, pics), cmd) in enumerate(zip(STEPS, cmds), 1):
        out += [f'.SH "{i}. {title.upper()}"']
        for j, p in enumerate(paras):
            out += ([".PP"] if j else []) + [roff_text(p)]
        out += [".PP", ".RS 4", ".nf", roff_code(cmd), ".fi", ".RE", ".PP",
                "Pictures: " + ", ".join(f"\\fI{p}\\fP" for p, _ in widths(pics)) + " in share/tutorial/."]
    out += [".SH EXAMPLES", "The first steps, quick enough to try anywhere:", ".PP", ".EX",
            "$ flow\\-data moons \\-n 2000 \\-\\-seed 1 \\-o moons.npy",
            "$ flow\\-data info moons.npy",
            "$ flow\\-plot moons.npy \\-\\-size 480x480 \\-o moons.png",
            "$ flow\\-data gaussian \\-n 500 | flow\\-plot \\-\\-size 320x320 \\-o gauss.png", ".EE",
            ".SH \"EXIT STATUS\"",
            "The commands follow the conventions of flowkit(7): 0 on success, 1 on a runtime error, "
            "2 on a usage error. make\\-pictures.sh stops at the first command that fails and exits with its status.",
            ".SH \"SEE ALSO\"",
            ".BR flowkit (7),", ".BR flow\\-data (1),", ".BR flow\\-plot (1),", ".BR flow\\-train (1),",
            ".BR flow\\-sample (1),", ".BR flow\\-traj (1),", ".BR flow\\-eval (1)", ""]
    return "\n".join(out)


cmds = blocks()
assert len(cmds) == len(STEPS), f"{len(cmds)} command blocks for {len(STEPS)} steps"
open(os.path.join(ROOT, "share", "tutorial.md"), "w").write(markdown(cmds))
open(os.path.join(ROOT, "man", "flowkit-tutorial.7"), "w").write(roff(cmds))
