"""A model trained elsewhere: a torchcfm-style MLP (Linear, SELU, input [x, t] with raw t),
trained in PyTorch by the usual flow-matching loop on flowkit's 8 Gaussians, becomes a flowkit
file (FlowkitMLP.from_sequential: time_freqs 0, activation selu); flow-sample's samples are near
the target (W2, against the distance the noise starts at) and flow-eval logp gives the target
points a higher mean log density than N(0, I) does."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.environ["FLOWKIT_SRC"], "share", "python"))
from flowkit_torch import FlowkitMLP  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(1)
failures = 0


def run(*args):
    return subprocess.run(list(args), check=True, stdout=subprocess.PIPE).stdout


def check(ok, what):
    global failures
    print(("ok: " if ok else "FAIL: ") + what)
    failures += 0 if ok else 1


run("flow-data", "8gaussians", "-n", "20000", "--seed", "1", "-o", "train.npy")
run("flow-data", "8gaussians", "-n", "1000", "--seed", "2", "-o", "target.npy")
run("flow-data", "gaussian", "-n", "1000", "--seed", "3", "-o", "noise.npy")
x1_all = torch.from_numpy(np.load("train.npy"))

# The usual conditional flow-matching loop (torchcfm's 2-D example, independent coupling)
w = 64
net = nn.Sequential(nn.Linear(3, w), nn.SELU(), nn.Linear(w, w), nn.SELU(), nn.Linear(w, w), nn.SELU(),
                    nn.Linear(w, 2))
steps = 1500
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
for step in range(steps):
    x1 = x1_all[torch.randint(0, len(x1_all), (256,))]
    x0 = torch.randn_like(x1)
    t = torch.rand(len(x1), 1)
    xt = t * x1 + (1 - t) * x0
    loss = ((net(torch.cat([xt, t], dim=1)) - (x1 - x0)) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
print(f"trained {steps} steps, loss {loss.item():.3f}")

# Into flowkit: the same velocity field, then flowkit's own sampler and density
m = FlowkitMLP.from_sequential(net, dim=2)
m.save("trained.safetensors", training={"trained_by": "pytorch", "steps": steps})
x = torch.randn(5, 2)
with torch.no_grad():
    err = (m(x, 0.3) - net(torch.cat([x, torch.full((5, 1), 0.3)], dim=1))).abs().max().item()
check(err < 1e-6, f"the flowkit module is the trained network ({err:.2g})")
run("flow-sample", "-m", "trained.safetensors", "-n", "1000", "--seed", "4", "-o", "samples.npy")


def w2(a, b):
    return json.loads(run("flow-eval", "compare", "--metrics", "w2", a, b))["w2"]


w2_model, w2_noise = w2("samples.npy", "target.npy"), w2("noise.npy", "target.npy")
# Two samples of the target itself are 0.26 apart (n = 1000); the noise starts 0.92 away
check(w2_model < 0.4 and w2_model < 0.45 * w2_noise,
      f"W2(flow-sample, target) = {w2_model:.3f} < 0.4 and < 0.45 x W2(noise, target) = {w2_noise:.3f}")
run("flow-eval", "logp", "-m", "trained.safetensors", "target.npy", "-o", "logp.npy")
lp = np.load("logp.npy")
tgt = np.load("target.npy")
gauss = float(np.mean(-math.log(2 * math.pi) - 0.5 * np.sum(tgt.astype(np.float64) ** 2, axis=1)))
check(np.all(np.isfinite(lp)) and lp.mean() > gauss + 1.0,
      f"mean log p of the target under the model {lp.mean():.3f} > {gauss:.3f} + 1 (under N(0, I))")
print(f"{failures} failed")
sys.exit(1 if failures else 0)
