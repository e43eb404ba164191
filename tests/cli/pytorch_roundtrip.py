"""The same model in PyTorch (share/python/flowkit_torch.py), both ways: a model flowkit trained,
loaded into torch, gives flow-eval field's velocity; a module made in torch, written to a flowkit
file, gives flow-eval field the module's velocity. To 1e-5 (relative to max(1, |v|); for images
to max(1, the image's largest |v|)), over activations, time features, residual blocks, class
embeddings, predictions and schedules of the MLP; and the same for U-Nets (flow-train --net
unet): 1 and 3 image channels, 2 and 3 levels, square and not, 1 and 2 blocks per level, labels
with guidance (through flow-sample: one Euler step from t = 0 to 1 from the given points gives
x + v(x, 0, y)); and a U-Net read from flowkit's JSON form."""
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.environ["FLOWKIT_SRC"], "share", "python"))
from flowkit_torch import FlowkitMLP, FlowkitUNet, load  # noqa: E402

TOL = 1e-5
failures = 0
checks = 0


def run(*args):
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL)


def flowkit_field(model, x, t):
    np.savetxt("pts.csv", x, delimiter=",", fmt="%.9g")
    run("flow-eval", "field", "-m", model, "--t", repr(t), "pts.csv", "-f", "csv", "-o", "v.csv")
    return np.loadtxt("v.csv", delimiter=",", skiprows=1, ndmin=2)


def record(what, err, extra=""):
    global failures, checks
    checks += 1
    if not err <= TOL:
        failures += 1
        print(f"FAIL: {what}: max relative difference {err:.3g} > {TOL}{extra}")
    else:
        print(f"ok: {what}: {err:.2g}{extra}")


def compare(what, module, model, dim):
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
        record(f"{what} at t = {t}", np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def image_field(model, x, t):
    np.save("imgs.npy", x)
    run("flow-eval", "field", "-m", model, "--t", repr(t), "imgs.npy", "-o", "v.npy")
    return np.load("v.npy").reshape(x.shape[0], -1)


def image_error(got, want):
    """The largest difference in an image relative to max(1, its largest |v|): a noise prediction's
    conversion near t = 0 multiplies the float32 rounding of the network's output some 15 times
    and cancels it against the x term, so a pixel's own |v| can be far below its image's."""
    return np.max(np.abs(got - want).max(axis=1) / np.maximum(1.0, np.abs(want).max(axis=1)))


def compare_unet(what, module, model, shape, label=None):
    """The U-Net's field at 12 images uniform in [-1, 2] (its data lie in [0, 1]); with a label,
    also the guided conditional field (W = 2) through one Euler step of flow-sample."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 2, size=(12, *shape)).astype(np.float32)
    xd = torch.from_numpy(x.reshape(12, -1).astype(np.float64))
    m = module.double()
    ends = (0.0, 1.0) if module.predict == "velocity" else ()
    for t in (0.05, 0.5, 0.93) + ends:
        want = image_field(model, x, t)
        with torch.no_grad():
            got = m(xd, t).numpy()
        # A field near 0 (a convolution that starts at zero, barely trained) would pass anything
        big = np.abs(want).max()
        err = image_error(got, want) if big > 0.05 else np.inf
        record(f"{what} at t = {t}", err, f" (max |v| {big:.2g})")
    if label is not None:
        np.save("from.npy", x)
        run("flow-sample", "-m", model, "--from", "from.npy", "--class", str(label), "--guidance", "2", "--solver",
            "euler", "--steps", "1", "--t0", "0", "--t1", "1", "-q", "-o", "step.npy")
        want = np.load("step.npy").reshape(12, -1) - x.reshape(12, -1)  # x + 1 * v(x, 0, y)
        with torch.no_grad():
            got = m(xd, 0.0, y=torch.full((12,), label), guidance=2.0).numpy()
        record(f"{what}, class {label}, guidance 2, at t = 0", image_error(got, want))


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

# The U-Net, flowkit -> torch. A higher rate without warm-up moves the convolutions that start at
# zero within 5 steps, so that the whole network shapes the field.
run("flow-data", "mnist", "--part", "heldout", "-o", "mnist.npy")
rng = np.random.default_rng(11)
np.save("rgb.npy", rng.uniform(0, 1, size=(64, 8, 8, 3)).astype(np.float32))
fast = ["--batch", "16", "--steps", "5", "--lr", "0.05", "--warmup", "0", "--quiet"]
unets = [
    ("U-Net 4,8, conditional, MNIST", ["mnist.npy", "--channels", "4,8", "--groups", "2", "--embed", "8",
                                       "--conditional"], (28, 28), 3),
    ("U-Net 4,8,8 x2 blocks, noise, cosine, MNIST", ["mnist.npy", "--channels", "4,8,8", "--groups", "2", "--embed",
                                                     "8", "--blocks", "2", "--predict", "noise", "--schedule",
                                                     "cosine", "--time-freqs", "4"], (28, 28), None),
    ("U-Net 4,8,8, 3 channels, data, no EMA", ["rgb.npy", "--channels", "4,8,8", "--groups", "4", "--embed", "8",
                                               "--predict", "data", "--ema", "0"], (8, 8, 3), None),
]
for i, (what, flags, shape, label) in enumerate(unets):
    name = f"unet{i}.safetensors"
    run("flow-train", "--net", "unet", *flags, *fast, "-o", name)
    module = load(name)
    assert isinstance(module, FlowkitUNet)
    compare_unet("flowkit -> torch: " + what, module, name, shape, label)
# The same read from flowkit's JSON form (tensors in column order: flowkit_torch.read_json_model)
run("flow-train", "--net", "unet", *unets[0][1], *fast, "-o", "unet0.json")
compare_unet("flowkit -> torch: " + unets[0][0] + ", from its JSON file", load("unet0.json"), "unet0.json", (28, 28), 3)

# The U-Net, torch -> flowkit: every tensor moved off its initial value, per-pixel normalization
made_unets = [
    ("U-Net 8x8x3 4,8, 3 classes, noise, poly:1.5",
     dict(height=8, width=8, image_channels=3, channels=(4, 8), embed=6, groups=2, time_freqs=3, num_classes=3,
          predict="noise", schedule="poly:1.5"), 2),
    ("U-Net 8x12 4,4,8, velocity", dict(height=8, width=12, channels=(4, 4, 8), embed=5, groups=4, time_freqs=2),
     None),
]
for i, (what, kw, label) in enumerate(made_unets):
    d = kw["height"] * kw["width"] * kw.get("image_channels", 1)
    kw["mean"] = (0.3 + 0.1 * np.sin(np.arange(d))).tolist()
    kw["scale"] = (0.5 + 0.2 * np.cos(np.arange(d)) ** 2).tolist()
    m = FlowkitUNet(FlowkitUNet.make_config(**kw))
    with torch.no_grad():
        for _, p in m.blocks_map():
            p.add_(0.2 * torch.randn_like(p))
    name = f"made_unet{i}.safetensors"
    m.save(name)
    shape = (kw["height"], kw["width"]) + ((kw["image_channels"],) if kw.get("image_channels", 1) != 1 else ())
    compare_unet("torch -> flowkit: " + what, m, name, shape, label)

print(f"{checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
