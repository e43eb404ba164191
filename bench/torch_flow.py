#!/usr/bin/python3
"""PyTorch peer of flowkit's workloads, for share/bench: the same MLP (inputs x and the
sinusoidal time features sin/cos(pi 2^k t), k < K; silu; `depth` hidden layers of `width`),
the same batch, optimizer and solver. Prints one JSON object on stdout.

  torch_flow.py gemm  --threads T --n 1024 2048
  torch_flow.py train --threads T --width 256 --depth 4 --batch 4096 --steps 20 --reps 2
  torch_flow.py sample --threads T --model M.json --n 100000 --solver euler --steps 4 --reps 2
  torch_flow.py logp --threads T --model M.json --n 8192 --steps 1 --reps 2
  torch_flow.py sample --model M.json --n 1 --steps 100 --out one.npy     (the start-up job)
  torch_flow.py field --model M.json --points P.npy --t 0.5                (check the loader)
  torch_flow.py unet --threads T --channels 32,64,128 --batch 128 --size 28 --classes 10 --reps 2
  torch_flow.py sphere-train --threads T --points D.npy --width 128 --depth 3 --batch 256 --steps 200
  torch_flow.py sphere-sample --threads T --model M.json --n 100000 --steps 4 --reps 2
  torch_flow.py discrete-train --threads T --data TOKENS.npy --vocab 128 --width 128 --depth 3 --batch 1024
  torch_flow.py discrete-sample --threads T --model M.json --n 100000 --steps 4 --reps 2
  torch_flow.py discrete-unet-train --threads T --model M.json --data TOKENS.npy --batch 64 --steps 10
  torch_flow.py discrete-unet-sample --threads T --model M.json --n 20 --steps 4 --chunk 16 --reps 2

Timed workloads run once untimed (warm-up), then --reps times; the best is reported, as
share/bench does for flowkit. sample and logp integrate --chunk points at a time (4096, as
flowkit does; 0: all in one batch). --model reads a flowkit model file (type learned, silu MLP
predicting velocity) into the same network: the weights it samples with (EMA or not, as the
file says), its normalization and time features; without it the network is initialised at
random with the same shapes.

Run it with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp: the "blas" field of
the output says which BLAS library the process mapped (a result on the reference BLAS is not
a result).

unet: flowkit's U-Net in torch.nn (share/python/flowkit_torch.py's FlowkitUNet: Conv2d,
GroupNorm, SiLU, the same channels, blocks, embedding, groups and time features; conditional
with --classes > 0), as bench/unet_rate runs it: a training step (random SIZE x SIZE images in
[0, 1], normalized, x0 ~ N(0, I), t ~ U[0, 1], x_t = t x1 + (1 - t) x0, the mean squared error
to x1 - x0, labels dropped to the null label with probability 0.15, backward, clipping at norm
1, Adam, EMA 0.999) and the forward pass of the batch (sampling), each one untimed call, then
the best of --reps.

sphere-train and sphere-sample: a flow on the sphere S^2 as flow-train --manifold sphere trains
it (doc/MATH.md, "Manifolds"): x1 from --points (unit vectors, drawn with replacement), x0
uniform on the sphere, t ~ U[0, 1], the slerp x_t and its velocity u_t as the target, the
network's output projected onto the tangent space at x_t, |P net - u|^2, then the same
clipping, Adam and EMA as train; sampling from uniform x0 by Euler steps projected onto the
tangent space and normalized back onto the sphere, in chunks of --chunk points.

discrete-train / discrete-sample: flowkit's MLP over tokens (doc/DESIGN.md, "Discrete flows")
in torch.nn: position i's token k selects row i S + k of an embedding table (S = V, a uniform
source), summed over the positions and added to a Linear of the time features; the same silu
layers; V logits per position. A training step: x1 a batch of --data (an integer NPY (n, L)),
t ~ U[0, 1 - 10^-3], x0 uniform over V, x_t on the mixture path with kappa = t^2, the
cross-entropy of the logits on x1 (the mean over the tokens), backward, clipping, Adam, EMA.
Sampling: flowkit's jump sampler (chunks of 2048 sequences): --steps - 1 jump steps, each token
leaving with probability 1 - exp(-h lambda) to a token drawn in proportion to the rates
kappa'/(1 - kappa) p_{1|t}(y), and the last step drawn from the posterior; --model loads a
flowkit discrete model file (uniform source, poly:2) into the same network.

discrete-unet-train / discrete-unet-sample: the token U-Net of share/examples/discrete-mnist.sh
(flow-train --net unet on token images), built from flowkit's model file (--model) by
flowkit_torch's FlowkitUNet: each pixel's token (16 grey levels or MASK) looks up the learned
table tok.E, the U-Net gives V logits per pixel; class labels with the null label. A training
step (from the file's weights): x1 a batch of --data (flow-data mnist --levels 16: token images
and their labels), t ~ U[0, 1 - 10^-3], x_t = x1 with probability kappa(t) = t^n (the file's
poly:n) else MASK, labels dropped to the null label with probability --cond-drop, the
cross-entropy of the logits on x1, backward, clipping, Adam, EMA; --warmup steps, then the best
of --reps runs of --steps steps. Sampling: the jump sampler above from an all-MASK source (rates
over the V tokens; MASK is never a target), --n images of each class, in chunks of --chunk
images (flowkit's: 16; 0: all at once), eagerly and (--jit 1) with the forward pass through
torch.jit.trace + optimize_for_inference, the faster kept. With --check-tokens and
--check-posterior, both first assert that the log-posterior of those tokens of --check-model's
network (built as the timed one is) is flowkit's (bench/token_posterior) to 1e-4, and report the
largest difference."""
import argparse
import json
import math
import os
import sys
import time

import torch


def update(loss, opt, params, ema, a):
    """One optimizer step as flow-train takes it: backward, clip the gradient norm, Adam, EMA."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if a.clip > 0:
        torch.nn.utils.clip_grad_norm_(params, a.clip)
    opt.step()
    if a.ema > 0:
        with torch.no_grad():
            torch._foreach_mul_(ema, a.ema)
            torch._foreach_add_(ema, [p.detach() for p in params], alpha=1 - a.ema)


def loaded_blas():
    """The BLAS/LAPACK shared objects this process mapped (from /proc/self/maps)."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in path or "lapack" in path:
                libs.add(path)
    return sorted(libs)


class Net(torch.nn.Module):
    """net(x, t) of flowkit's nn: [x; sin(pi 2^k t), cos(pi 2^k t)] -> width (silu) x depth -> d."""

    def __init__(self, dim, width, depth, freqs):
        super().__init__()
        self.register_buffer("w", math.pi * 2.0 ** torch.arange(freqs, dtype=torch.float32))
        layers = [torch.nn.Linear(dim + 2 * freqs, width), torch.nn.SiLU()]
        for _ in range(depth - 1):
            layers += [torch.nn.Linear(width, width), torch.nn.SiLU()]
        layers.append(torch.nn.Linear(width, dim))
        self.mlp = torch.nn.Sequential(*layers)

    def forward(self, x, t):
        wt = t.reshape(-1, 1) * self.w
        feats = torch.stack([wt.sin(), wt.cos()], dim=2).reshape(x.shape[0], -1)
        return self.mlp(torch.cat([x, feats], dim=1))


def weight_count(dim, width, depth, freqs):
    return (dim + 2 * freqs) * width + (depth - 1) * width * width + width * dim


def load_flowkit(path):
    """A flowkit model file (doc/DESIGN.md, "The model file") as a Net and its normalization:
    v(x, t) = scale * net((x - mean) / scale, t) for a velocity-predicting model. The tensors
    come from flowkit_torch.read_json_model, the one decoder of the file's weights."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "share", "python"))
    from flowkit_torch import read_json_model
    tensors, m = read_json_model(path)
    arch = m["architecture"]
    supported = (m["type"] == "learned" and m["predict"] == "velocity" and arch["activation"] == "silu"
                 and not arch["residual"] and arch["num_classes"] == 0 and arch["time_freqs"] > 0)
    if not supported:
        raise SystemExit("torch_flow.py: error: only unconditional silu MLPs predicting velocity (%s)" % path)
    net = Net(m["dim"], arch["width"], arch["depth"], arch["time_freqs"])
    ema = m.get("sampling_weights", "ema") == "ema" and any(k.startswith("ema.") for k in tensors)
    prefix = "ema." if ema else "weights."
    linears = [l for l in net.mlp if isinstance(l, torch.nn.Linear)]
    names = ["in"] + ["hidden%d" % i for i in range(1, arch["depth"])] + ["out"]
    with torch.no_grad():
        for lin, name in zip(linears, names):
            for suffix, param in (("W", lin.weight), ("b", lin.bias)):
                param.copy_(torch.from_numpy(tensors[prefix + name + "." + suffix]).reshape(param.shape))
    norm = m["normalization"]
    mean = torch.tensor(norm["mean"], dtype=torch.float32)
    scale = torch.tensor(norm["scale"], dtype=torch.float32)
    return net, mean, scale


def make_field(a):
    """The velocity v(x, t) of --model, or of a randomly initialised net of the same shape."""
    if a.model:
        net, mean, scale = load_flowkit(a.model)
        return net, lambda y, t: scale * net((y - mean) / scale, torch.full((y.shape[0],), t))
    torch.manual_seed(a.seed)
    net = Net(2, a.width, a.depth, a.freqs)
    return net, lambda y, t: net(y, torch.full((y.shape[0],), t))


def train_seconds(a, step):
    """a.warmup untimed training steps, then the best of a.reps runs of a.steps: seconds and the last loss."""
    for _ in range(a.warmup):
        step()
    s, loss = float("inf"), None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = step()
        s = min(s, time.perf_counter() - t0)
    return s, loss


def best_of(a, run):
    """Runs run() once untimed, then a.reps times; the best seconds and the last result."""
    run()
    best, out = float("inf"), None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t0)
    return best, out


def chunks(n, size):
    size = size if size > 0 else n
    return [(i, min(size, n - i)) for i in range(0, n, size)]


def checkerboard(n, g):
    """The 4x4 checkerboard on [-2, 2]^2 (black squares), as flow-data draws it."""
    u = torch.rand(n, 2, generator=g)
    cell = torch.randint(0, 8, (n,), generator=g)
    row = cell // 2
    col = 2 * (cell % 2) + (row % 2)
    return torch.stack([col + u[:, 0], row + u[:, 1]], dim=1) - 2.0


def bench_gemm(a):
    out = []
    for n in a.n:
        x, y = torch.randn(n, n), torch.randn(n, n)
        x @ y
        best, spent, rep = 0.0, 0.0, 0
        while rep < 3 or (spent < 1.5 and rep < 50):
            t0 = time.perf_counter()
            x @ y
            s = time.perf_counter() - t0
            spent += s
            rep += 1
            best = max(best, 2.0 * n ** 3 / s / 1e9)
        out.append({"n": n, "gflops": best})
    return {"gemm": out}


def bench_train(a):
    g = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    net = Net(2, a.width, a.depth, a.freqs)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, foreach=a.foreach)
    ema = [p.detach().clone() for p in net.parameters()]
    params = list(net.parameters())

    def step():
        x1 = checkerboard(a.batch, g)
        x0 = torch.randn(a.batch, 2, generator=g)
        t = torch.rand(a.batch, 1, generator=g)
        xt = t * x1 + (1 - t) * x0
        loss = (net(xt, t) - (x1 - x0)).square().sum(dim=1).mean()
        update(loss, opt, params, ema, a)
        return loss

    s, loss = train_seconds(a, step)
    w = weight_count(2, a.width, a.depth, a.freqs)
    first = (2 + 2 * a.freqs) * a.width
    flops = a.batch * (6 * w - 2 * first)  # forward, weight gradients, input gradients (not of layer 1)
    return {"steps_per_s": a.steps / s, "gflops": flops * a.steps / s / 1e9, "loss": float(loss)}


def rk4_step(f, y, t, h):
    k1 = f(y, t)
    k2 = f(y + 0.5 * h * k1, t + 0.5 * h)
    k3 = f(y + 0.5 * h * k2, t + 0.5 * h)
    k4 = f(y + h * k3, t + h)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def bench_sample(a):
    net, f = make_field(a)
    torch.manual_seed(a.seed)
    h = 1.0 / a.steps

    def run():
        out = []
        with torch.no_grad():
            for _, m in chunks(a.n, a.chunk):
                x = torch.randn(m, net.mlp[-1].out_features)
                for k in range(a.steps):
                    x = x + h * f(x, k * h) if a.solver == "euler" else rk4_step(f, x, k * h, h)
                out.append(x)
        return torch.cat(out)

    if a.out:  # the start-up job: one run, written like flow-sample -o
        import numpy as np
        np.save(a.out, run().numpy())
        return {"n": a.n, "out": a.out}
    s, x = best_of(a, run)
    return {"seconds": s, "points_per_s_at_measured_steps": a.n / s, "mean": x.mean(0).tolist(),
            "chunk": a.chunk, "reps": a.reps}


def bench_logp(a):
    """log p_1(x) = log N(x_0) - int_0^1 div v dt, rk4 from t = 1 to 0, divergence by autograd."""
    net, field = make_field(a)
    for p in net.parameters():
        p.requires_grad_(False)
    d = net.mlp[-1].out_features

    def f(y, t):
        with torch.enable_grad():
            x = y[:, :d].detach().requires_grad_(True)
            v = field(x, t)
            div = sum(torch.autograd.grad(v[:, i].sum(), x, retain_graph=i < d - 1)[0][:, i] for i in range(d))
        return torch.cat([v.detach(), div.detach().reshape(-1, 1)], dim=1)

    torch.manual_seed(a.seed)
    x1 = torch.randn(a.n, d)
    h = -1.0 / a.steps

    def run():
        out = []
        for i, m in chunks(a.n, a.chunk):
            y = torch.cat([x1[i:i + m], torch.zeros(m, 1)], dim=1)
            for k in range(a.steps):
                y = rk4_step(f, y, 1.0 + k * h, h)
            out.append(-0.5 * y[:, :d].square().sum(1) - 0.5 * d * math.log(2 * math.pi) - y[:, d])
        return torch.cat(out)

    s, logp = best_of(a, run)
    return {"seconds": s, "points_per_s_at_measured_steps": a.n / s, "mean_logp": float(logp.mean()),
            "chunk": a.chunk, "reps": a.reps}


def bench_field(a):
    """v(x, t) of --model at the points of --points (to compare with flow-eval field)."""
    import numpy as np
    _, f = make_field(a)
    x = torch.from_numpy(np.load(a.points).astype(np.float32))
    with torch.no_grad():
        v = f(x, a.t)
    return {"v": v.tolist()}


def bench_unet(a):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "share", "python"))
    from flowkit_torch import FlowkitUNet
    g = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    channels = [int(c) for c in a.channels.split(",")]
    net = FlowkitUNet(FlowkitUNet.make_config(a.size, a.size, channels, blocks=a.blocks, embed=a.embed,
                                              groups=a.groups, time_freqs=a.freqs, num_classes=a.classes))
    params = list(net.parameters())
    opt = torch.optim.Adam(params, lr=a.lr, foreach=a.foreach)
    ema = [p.detach().clone() for p in params]
    d, n = a.size * a.size, a.batch
    pool = torch.rand(1024, d, generator=g)  # the data set, as unet_rate's
    pool_labels = torch.arange(1024) % max(a.classes, 1)
    mean, scale = pool.mean(), pool.std()

    def step():
        i = torch.randint(0, 1024, (n,), generator=g)
        x1 = (pool[i] - mean) / scale
        x0 = torch.randn(n, d, generator=g)
        t = torch.rand(n, generator=g)
        xt = t[:, None] * x1 + (1 - t[:, None]) * x0
        y = None
        if a.classes > 0:
            y = torch.where(torch.rand(n, generator=g) < 0.15, torch.full((n,), a.classes), pool_labels[i])
        loss = (net.network(xt, t, y) - (x1 - x0)).square().sum(dim=1).mean()
        update(loss, opt, params, ema, a)
        return float(loss)

    step_s, loss = best_of(a, step)
    x = torch.rand(n, d, generator=g) * 2 - 1
    labels = torch.arange(n) % a.classes if a.classes > 0 else None
    tt = torch.full((n,), 0.5)

    def forward():
        with torch.no_grad():
            return net.network(x, tt, labels)

    fwd_s, _ = best_of(a, forward)
    return {"step_s": step_s, "steps_per_s": 1.0 / step_s, "forward_s": fwd_s, "images_per_s": n / fwd_s,
            "loss": loss, "params": sum(p.numel() for p in params), "reps": a.reps}


def tangent(x, v):
    """proj_x(v) = v - <x, v> x, row by row."""
    return v - (x * v).sum(dim=1, keepdim=True) * x


def uniform_sphere(n, dim, g=None):
    x = torch.randn(n, dim, generator=g)
    return x / x.norm(dim=1, keepdim=True)


def slerp(x0, x1, t):
    """The geodesic x_t = exp_{x0}(t log_{x0}(x1)) and its velocity (linear schedule)."""
    c = (x0 * x1).sum(dim=1, keepdim=True)
    w = x1 - c * x0
    wn = w.norm(dim=1, keepdim=True)
    theta = torch.atan2(wn, c)
    log = torch.where(wn > 0, theta * w / wn.clamp_min(1e-30), torch.zeros_like(w))
    a = t * theta
    sinc = torch.where(a > 0, torch.sin(a) / a.clamp_min(1e-30), torch.ones_like(a))
    return x0 * torch.cos(a) + log * t * sinc, log * torch.cos(a) - x0 * theta * torch.sin(a)


def bench_sphere_train(a):
    import numpy as np
    data = torch.from_numpy(np.load(a.points).astype(np.float32))
    g = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    net = Net(3, a.width, a.depth, a.freqs)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, foreach=a.foreach)
    ema = [p.detach().clone() for p in net.parameters()]
    params = list(net.parameters())

    def step():
        x1 = data[torch.randint(0, data.shape[0], (a.batch,), generator=g)]
        x0 = uniform_sphere(a.batch, 3, g)
        t = torch.rand(a.batch, 1, generator=g)
        xt, ut = slerp(x0, x1, t)
        loss = (tangent(xt, net(xt, t)) - ut).square().sum(dim=1).mean()
        update(loss, opt, params, ema, a)
        return loss

    s, loss = train_seconds(a, step)
    return {"steps_per_s": a.steps / s, "loss": float(loss)}


def bench_sphere_sample(a):
    net, f = make_field(a)
    torch.manual_seed(a.seed)
    h = 1.0 / a.steps

    def run():
        out = []
        with torch.no_grad():
            for _, m in chunks(a.n, a.chunk):
                x = uniform_sphere(m, 3)
                for k in range(a.steps):
                    x = x + h * tangent(x, f(x, k * h))
                    x = x / x.norm(dim=1, keepdim=True)
                out.append(x)
        return torch.cat(out)

    s, x = best_of(a, run)
    return {"seconds": s, "max_norm_error": float((x.norm(dim=1) - 1).abs().max()), "chunk": a.chunk,
            "reps": a.reps}


class TokenNet(torch.nn.Module):
    """flowkit's MLP over tokens: [one-hot of each position's token; time features] -> logits."""

    def __init__(self, length, states, vocab, width, depth, freqs):
        super().__init__()
        self.length, self.states, self.vocab = length, states, vocab
        self.register_buffer("w", math.pi * 2.0 ** torch.arange(freqs, dtype=torch.float32))
        self.register_buffer("offset", torch.arange(length) * states)
        self.emb = torch.nn.Embedding(length * states, width)
        self.time = torch.nn.Linear(2 * freqs, width)
        layers = [torch.nn.SiLU()]
        for _ in range(depth - 1):
            layers += [torch.nn.Linear(width, width), torch.nn.SiLU()]
        layers.append(torch.nn.Linear(width, length * vocab))
        self.mlp = torch.nn.Sequential(*layers)

    def forward(self, x, t):  # x (n, L) tokens, t (n,): logits (n, L, V)
        wt = t.reshape(-1, 1) * self.w
        feats = torch.stack([wt.sin(), wt.cos()], dim=2).reshape(x.shape[0], -1)
        h = self.emb(x + self.offset).sum(dim=1) + self.time(feats)
        return self.mlp(h).reshape(x.shape[0], self.length, self.vocab)


def load_discrete(path):
    """A flowkit discrete model file (type discrete, uniform source, poly:2) as a TokenNet."""
    import base64
    import numpy as np
    with open(path) as f:
        m = json.load(f)
    arch = m["architecture"]
    if not (m["type"] == "discrete" and m["source"] == "uniform" and m["kappa"] == "poly:2"
            and arch["activation"] == "silu" and not arch["residual"] and arch["num_classes"] == 0):
        raise SystemExit("torch_flow.py: error: only unconditional silu token MLPs, uniform source, poly:2 (%s)" % path)
    L, V = m["length"], m["vocab"]
    net = TokenNet(L, V, V, arch["width"], arch["depth"], arch["time_freqs"])
    tensors = m["ema_weights"] if m.get("sampling_weights", "ema") == "ema" and "ema_weights" in m else m["weights"]
    by_name = {t["name"]: t for t in tensors}

    def get(name):
        t = by_name[name]
        rows, cols = t["shape"]  # Eigen: column-major rows x cols
        return torch.from_numpy(np.frombuffer(base64.b64decode(t["data"]), dtype="<f4").reshape(cols, rows).T.copy())

    linears = [l for l in net.mlp if isinstance(l, torch.nn.Linear)]
    names = ["hidden%d" % i for i in range(1, arch["depth"])] + ["out"]
    with torch.no_grad():
        w_in = get("in.W")  # width x (L S + 2 K): the tokens' columns, then the time features'
        net.emb.weight.copy_(w_in[:, :L * V].T)
        net.time.weight.copy_(w_in[:, L * V:])
        net.time.bias.copy_(get("in.b").reshape(-1))
        for lin, name in zip(linears, names):
            lin.weight.copy_(get(name + ".W").reshape(lin.weight.shape))
            lin.bias.copy_(get(name + ".b").reshape(-1))
    return net


def bench_discrete_train(a):
    import numpy as np
    data = torch.from_numpy(np.load(a.data).astype(np.int64))
    g = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    L, V = data.shape[1], a.vocab
    net = TokenNet(L, V, V, a.width, a.depth, a.freqs)
    params = list(net.parameters())
    opt = torch.optim.Adam(params, lr=a.lr, foreach=a.foreach)
    ema = [p.detach().clone() for p in params]

    def step():
        x1 = data[torch.randint(0, data.shape[0], (a.batch,), generator=g)]
        t = torch.rand(a.batch, generator=g) * (1 - 1e-3)
        x0 = torch.randint(0, V, x1.shape, generator=g)
        keep = torch.rand(x1.shape, generator=g) < (t * t)[:, None]
        xt = torch.where(keep, x1, x0)
        loss = torch.nn.functional.cross_entropy(net(xt, t).reshape(-1, V), x1.reshape(-1))
        update(loss, opt, params, ema, a)
        return float(loss)

    s, loss = train_seconds(a, step)
    return {"steps_per_s": a.steps / s, "loss": loss, "params": sum(p.numel() for p in params)}


def draw(w, total, g):
    """An index per row in proportion to w (rows of non-negative weights summing to total)."""
    r = torch.rand(w.shape[0], 1, generator=g) * total.reshape(-1, 1)
    return (torch.cumsum(w, dim=1) <= r).sum(dim=1).clamp(max=w.shape[1] - 1)


def bench_discrete_sample(a):
    net = load_discrete(a.model)
    g = torch.Generator().manual_seed(a.seed)
    L, V, h = net.length, net.vocab, 1.0 / a.steps

    def run():
        out = []
        with torch.no_grad():
            for _, m in chunks(a.n, a.chunk):
                x = torch.randint(0, V, (m, L), generator=g)
                for k in range(a.steps):
                    t = k * h
                    p = torch.softmax(net(x, torch.full((m,), t)), dim=2).reshape(-1, V)
                    flat = x.reshape(-1)
                    if k + 1 == a.steps:
                        x = draw(p, p.sum(1), g).reshape(m, L)
                        continue
                    u = p * (2 * t / (1 - t * t))  # kappa'/(1 - kappa), kappa = t^2
                    u[torch.arange(u.shape[0]), flat] = 0
                    lam = u.sum(1)
                    jump = torch.rand(lam.shape, generator=g) < -torch.expm1(-h * lam)
                    x = torch.where(jump, draw(u, lam, g), flat).reshape(m, L)
                out.append(x)
        return torch.cat(out)

    s, x = best_of(a, run)
    if a.out:  # the samples, to compare with flowkit's
        import numpy as np
        np.save(a.out, x.numpy().astype(np.int32))
    return {"seconds": s, "sequences_per_s_at_measured_steps": a.n / s, "chunk": a.chunk, "reps": a.reps,
            "distinct_cells": int(torch.unique(x[:, 0] * V + x[:, 1]).numel())}


def token_unet(path, which="sampling"):
    """A flowkit token U-Net model file (flow-train --net unet on token images: "type": "discrete",
    a mask source, kappa poly:n) as flowkit_torch's FlowkitUNet; and its n."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "share", "python"))
    from flowkit_torch import FlowkitUNet, load
    net = load(path, which)
    cfg = net.config
    if not (isinstance(net, FlowkitUNet) and net.vocab > 0 and cfg["source"] == "mask"
            and cfg["kappa"].startswith("poly:")):
        raise SystemExit("torch_flow.py: error: only token U-Nets with a mask source and kappa poly:n (%s)" % path)
    for p in net.parameters():
        p.requires_grad_(False)
    return net, float(cfg["kappa"][5:])


def check_posterior(a):
    """The startup assertion: the token U-Net of --check-model (default --model) built as the timed
    one is; the log-softmax of its logits of --check-tokens at --check-t (sequence j
    with label j % (C + 1), C the null label) is the log of flowkit's posterior (--check-posterior,
    written by bench/token_posterior) to 1e-4 in every entry (both floored at 10^-30): the logits
    the same up to each pixel's constant, which the posterior does not see. (Probabilities to 1e-4
    would pass a weight moved by 10^-3; these logits do not.) The largest difference."""
    import numpy as np
    if not a.check_tokens:
        return None
    net, _ = token_unet(a.check_model or a.model)
    x = torch.from_numpy(np.load(a.check_tokens).astype(np.int64))
    want = torch.from_numpy(np.load(a.check_posterior))
    n, C = x.shape[0], net.num_classes
    y = torch.arange(n) % (C + 1) if C > 0 else None
    with torch.no_grad():
        got = torch.softmax(net.network(x.reshape(n, -1), torch.full((n,), a.check_t), y).reshape(want.shape), dim=2)
    err = float((got.double().clamp_min(1e-30).log() - want.double().clamp_min(1e-30).log()).abs().max())
    if not err <= 1e-4:
        raise SystemExit("torch_flow.py: error: the torch U-Net's log-posterior differs from flowkit's by %.3g (over "
                         "1e-4) (%s)" % (err, a.model))
    return err


def read_labelled(path):
    """An NPY stream of tokens (n, ...) and the labels (n,) after it (flow-data mnist)."""
    import numpy as np
    with open(path, "rb") as f:
        x = np.lib.format.read_array(f)
        at = f.tell()
        labels = np.lib.format.read_array(f) if f.read(1) and f.seek(at) == at else None
    if labels is None:
        raise SystemExit("torch_flow.py: error: %s has no labels after its tokens" % path)
    return x, labels


def bench_discrete_unet_train(a):
    """The token U-Net's training step as flow-train takes it on discrete-mnist.sh's data: x1 a batch
    of images, t ~ U[0, 1 - 10^-3], x_t = x1 with probability kappa(t) else MASK, labels dropped
    to the null label with probability --cond-drop, the cross-entropy of the V logits of every
    pixel (the mean over the tokens), backward, clipping, Adam, EMA; from the model file's weights."""
    import numpy as np
    err = check_posterior(a)
    net, power = token_unet(a.model, "weights")
    tokens, labels = read_labelled(a.data)
    data = torch.from_numpy(tokens.reshape(tokens.shape[0], -1).astype(np.int64))
    labels = torch.from_numpy(labels.astype(np.int64))
    g = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    params = list(net.parameters())
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=a.lr, foreach=a.foreach)
    ema = [p.detach().clone() for p in params]
    V, C, n = net.vocab, net.num_classes, a.batch

    def step():
        i = torch.randint(0, data.shape[0], (n,), generator=g)
        x1 = data[i]
        t = torch.rand(n, generator=g) * (1 - 1e-3)
        keep = torch.rand(x1.shape, generator=g) < t.pow(power)[:, None]
        xt = torch.where(keep, x1, torch.full_like(x1, V))
        y = torch.where(torch.rand(n, generator=g) < a.cond_drop, torch.full((n,), C), labels[i]) if C else None
        loss = torch.nn.functional.cross_entropy(net.network(xt, t, y).reshape(-1, V), x1.reshape(-1))
        update(loss, opt, params, ema, a)
        return float(loss)

    s, loss = train_seconds(a, step)
    return {"steps_per_s": a.steps / s, "loss": loss, "params": sum(p.numel() for p in params),
            "check_max_abs": err}


def bench_discrete_unet_sample(a):
    """flowkit's jump sampler on the token U-Net (as discrete-sample, from an all-MASK source):
    --n images per class of every class (flow-sample --class all), chunks of --chunk images,
    --steps steps; eagerly and through torch.jit.trace + optimize_for_inference (--jit 1: both,
    the faster kept)."""
    err = check_posterior(a)
    net, power = token_unet(a.model)
    net.eval()
    g = torch.Generator().manual_seed(a.seed)
    V, C, L, h = net.vocab, net.num_classes, net.height * net.width, 1.0 / a.steps
    labels = torch.arange(C).repeat_interleave(a.n) if C else None
    total = C * a.n if C else a.n
    mask_col = torch.zeros(1, 1)

    def run(forward, size):
        out = []
        with torch.no_grad():
            for i, m in chunks(total, size):
                x = torch.full((m, L), V, dtype=torch.int64)
                y = labels[i:i + m] if C else None
                rows = torch.arange(m * L)
                for k in range(a.steps):
                    t = k * h
                    p = torch.softmax(forward(x, torch.full((m,), t), y).reshape(m * L, V), dim=1)
                    if k + 1 == a.steps:
                        x = draw(p, p.sum(1), g).reshape(m, L)
                        continue
                    # rates kappa'/(1 - kappa) p over the V tokens and MASK (never a target), none to x_t
                    c = power * t ** (power - 1) / (1 - t ** power) if t > 0 or power == 1 else 0.0
                    u = torch.cat([p * c, mask_col.expand(m * L, 1)], dim=1)
                    flat = x.reshape(-1)
                    u[rows, flat] = 0
                    lam = u.sum(1)
                    jump = torch.rand(lam.shape, generator=g) < -torch.expm1(-h * lam)
                    x = torch.where(jump, draw(u, lam, g), flat).reshape(m, L)
                out.append(x)
        return torch.cat(out)

    size = a.chunk if a.chunk > 0 else total
    res = {"chunk": a.chunk, "reps": a.reps, "images": total, "check_max_abs": err}
    eager, x = best_of(a, lambda: run(net.network, size))
    res.update(seconds=eager, eager_seconds=eager, how="eager")
    if a.jit:
        traced = {}  # a trace is made for one batch size: one per chunk size, made in the warm-up run

        def fwd(xt, t, y):
            m = xt.shape[0]
            if m not in traced:
                mod = torch.jit.trace(TokenForward(net, C > 0), (xt, t, y) if C else (xt, t), check_trace=False)
                traced[m] = torch.jit.optimize_for_inference(torch.jit.freeze(mod.eval()))
                # the trace must not have kept the time or the labels as constants: at another time
                # and other labels it gives the eager logits, to 1% of how much those changed them
                t2, y2 = torch.full_like(t, 0.77), None if y is None else y.flip(0)
                want = net.network(xt, t2, y2)
                got = traced[m](xt, t2, y2) if C else traced[m](xt, t2)
                moved = float((want - net.network(xt, t, y)).abs().max())
                if not float((got - want).abs().max()) <= 0.01 * moved:
                    raise RuntimeError("the traced forward pass is not the eager one at another time and labels")
            return traced[m](xt, t, y) if C else traced[m](xt, t)

        try:
            jit_s, xj = best_of(a, lambda: run(fwd, size))
        except Exception as e:  # noqa: BLE001 - reported: the eager figure stands
            jit_s, res["jit_error"] = None, str(e)[:200]
        res["jit_seconds"] = jit_s
        if jit_s is not None and jit_s < eager:
            res.update(seconds=jit_s, how="torch.jit.trace + optimize_for_inference")
            x = xj
    res["sequences_per_s_at_measured_steps"] = total / res["seconds"]
    if a.out:
        import numpy as np
        np.save(a.out, x.reshape(total, net.height, net.width).numpy().astype(np.int32))
    return res


class TokenForward(torch.nn.Module):
    """The token U-Net's logits as one traceable module (labels given or not)."""

    def __init__(self, net, labelled):
        super().__init__()
        self.net, self.labelled = net, labelled

    def forward(self, xt, t, y=None):
        return self.net.network(xt, t, y if self.labelled else None)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["gemm", "train", "sample", "logp", "field", "unet", "sphere-train",
                                    "sphere-sample", "discrete-train", "discrete-sample", "discrete-unet-train",
                                    "discrete-unet-sample"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--n", type=int, nargs="+", default=[1024])
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--freqs", type=int, default=8)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--solver", choices=["euler", "rk4"], default="euler")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--foreach", type=int, default=1, help="Adam's multi-tensor update (1) or per tensor (0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reps", type=int, default=2, help="timed repetitions after one warm-up; the best is kept")
    p.add_argument("--chunk", type=int, default=4096, help="points integrated together (0: all at once; "
                   "discrete-sample: give 2048, flowkit's chunk of sequences)")
    p.add_argument("--model", help="a flowkit model file to load (sample, logp, field)")
    p.add_argument("--out", help="sample: write the points to this .npy (one untimed run); discrete-sample: the "
                   "last run's tokens")
    p.add_argument("--points", help="field: the points; sphere-train: the data (.npy)")
    p.add_argument("--t", type=float, default=0.5, help="field: the time")
    p.add_argument("--channels", default="32,64,128", help="unet: channels per level")
    p.add_argument("--size", type=int, default=28, help="unet: images of SIZE x SIZE pixels")
    p.add_argument("--blocks", type=int, default=1, help="unet: residual blocks per level")
    p.add_argument("--embed", type=int, default=64, help="unet: width of the time/label embedding")
    p.add_argument("--groups", type=int, default=4, help="unet: GroupNorm groups")
    p.add_argument("--classes", type=int, default=10, help="unet: labels (0: unconditional)")
    p.add_argument("--data", help="discrete-train: the token data (an integer .npy (n, L))")
    p.add_argument("--vocab", type=int, default=128, help="discrete-train: the vocabulary V")
    p.add_argument("--cond-drop", type=float, default=0.1, help="discrete-unet-train: probability of the null "
                   "label (discrete-mnist.sh's)")
    p.add_argument("--jit", type=int, default=1, help="discrete-unet-sample: also time the forward pass through "
                   "torch.jit.trace + optimize_for_inference and keep the faster (1) or eager only (0)")
    p.add_argument("--check-tokens", help="discrete-unet-*: token images (.npy) whose posterior must be "
                   "--check-posterior's (bench/token_posterior's) to 1e-4 in the log, checked at startup")
    p.add_argument("--check-model", help="discrete-unet-*: the model of the check (default: --model; bench/run.py "
                   "gives a copy with random weights, so that every weight shows in the logits)")
    p.add_argument("--check-posterior", help="discrete-unet-*: flowkit's posterior of --check-tokens (.npy (n, L, V))")
    p.add_argument("--check-t", type=float, default=0.5, help="discrete-unet-*: the time of the check")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.what != "gemm":
        a.n = a.n[0]
    r = {"gemm": bench_gemm, "train": bench_train, "sample": bench_sample, "logp": bench_logp,
         "field": bench_field, "unet": bench_unet, "sphere-train": bench_sphere_train,
         "sphere-sample": bench_sphere_sample, "discrete-train": bench_discrete_train,
         "discrete-sample": bench_discrete_sample, "discrete-unet-train": bench_discrete_unet_train,
         "discrete-unet-sample": bench_discrete_unet_sample}[a.what](a)
    r.update({"threads": torch.get_num_threads(), "blas": loaded_blas(), "torch": torch.__version__})
    print(json.dumps(r))


if __name__ == "__main__":
    main()
