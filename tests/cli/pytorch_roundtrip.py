"""The same model in PyTorch (share/python/flowkit_torch.py), both ways: a model flowkit trained,
loaded into torch, gives flow-eval field's velocity; a module made in torch, written to a flowkit
file, gives flow-eval field the module's velocity. To 1e-5 (relative to max(1, |v|)), over
activations, time features, residual blocks, class embeddings, predictions and schedules."""
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.environ["FLOWKIT_SRC"], "share", "python"))
from flowkit_torch import FlowkitMLP  # noqa: E402

TOL = 1e-5
failures = 0
checks = 0


def run(*args):
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL)


def flowkit_field(model, x, t):
    np.savetxt("pts.csv", x, delimiter=",", fmt="%.9g")
    run("flow-eval", "field", "-m", model, "--t", repr(t), "pts.csv", "-f", "csv", "-o", "v.csv")
    return np.loadtxt("v.csv", delimiter=",", skiprows=1, ndmin=2)


def compare(what, module, model, dim):
    global failures, checks
    rng = np.random.default_rng(5)
    x = rng.uniform(-3, 3, size=(64, dim)).astype(np.float32)
    m = module.double()
    # Noise and data predictions divide by a(t) or b(t), clamped to ~1e-4 at the ends: there the
    # float32 rounding of the network's output is amplified some 10^4 times, so those two are
    # compared inside (0, 1) only.
    ends = (0.0, 1.0) if module.predict == "velocity" else ()
    for t in (0.05, 0.5, 0.93) + ends:
        want = flowkit_field(model, x, t)
        with torch.no_grad():
            got = m(torch.from_numpy(x.astype(np.float64)), t).numpy()
        err = np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))
        checks += 1
        if not err <= TOL:
            failures += 1
            print(f"FAIL: {what} at t = {t}: max relative difference {err:.3g} > {TOL}")
        else:
            print(f"ok: {what} at t = {t}: {err:.2g}")


# flowkit -> torch: models flowkit trained, read from their .safetensors files
run("flow-data", "moons", "-n", "400", "--labels", "-o", "labelled.npy")
trained = [
    ("plain silu, Fourier time, velocity, EMA", ["--toy", "moons"]),
    ("residual gelu, noise, cosine", ["--toy", "8gaussians", "--residual", "--activation", "gelu", "--predict",
                                      "noise", "--schedule", "cosine", "--time-freqs", "4"]),
    ("conditional tanh, data, poly:2", ["labelled.npy", "--conditional", "--activation", "tanh", "--predict", "data",
                                        "--schedule", "poly:2"]),
    ("residual conditional relu, raw time", ["labelled.npy", "--conditional", "--residual", "--activation", "relu",
                                             "--time-freqs", "0"]),
    ("plain selu, raw time, no EMA", ["--toy", "moons", "--activation", "selu", "--time-freqs", "0", "--ema", "0"]),
]
for i, (what, flags) in enumerate(trained):
    name = f"trained{i}.safetensors"
    run("flow-train", *flags, "--steps", "40", "--width", "24", "--depth", "3", "--quiet", "-o", name)
    compare("flowkit -> torch: " + what, FlowkitMLP.load(name), name, 2)

# torch -> flowkit: modules made in torch, written as flowkit files
torch.manual_seed(3)
made = [
    ("selu raw time, velocity", dict(activation="selu", time_freqs=0)),
    ("residual silu, 3 classes, noise, poly:1.5",
     dict(activation="silu", residual=True, num_classes=3, predict="noise", schedule="poly:1.5")),
    ("gelu, data, cosine, normalized", dict(activation="gelu", predict="data", schedule="cosine",
                                            mean=[0.5, -1.0, 2.0], scale=[2.0, 0.5, 1.5])),
]
for i, (what, kw) in enumerate(made):
    m = FlowkitMLP(FlowkitMLP.make_config(3, 16, 3, **kw))
    with torch.no_grad():
        for _, p in m.blocks_map():
            p.add_(0.1 * torch.randn_like(p))  # gains and biases away from 1 and 0 too
    name = f"made{i}.safetensors"
    m.save(name)
    compare("torch -> flowkit: " + what, m, name, 3)

print(f"{checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
