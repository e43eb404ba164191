"""flowkit models in PyTorch: the torch.nn.Module equivalent to a flowkit learned model, an MLP
(FlowkitMLP) or a U-Net (FlowkitUNet, flow-train --net unet).

Only torch, numpy and the standard library. The module computes exactly what flowkit's field
computes (lib/flowkit/nn/mlp.cpp, nn/unet*.cpp, model/field_learned.cpp, flow/path.cpp):

    z = (x - mean) / scale
    o = net(z, t, y)                      the MLP (plain or residual, any activation) or the U-Net
    pred = A o + c                        velocity: A = scale, c = 0; data: scale, mean; noise: 1, 0
    v = pred                              velocity prediction
    v = (a'/a) x + (b' - a' B^2 / (a b)) pred   noise prediction
    v = (b b'/B^2) x + (a' - a b b'/B^2) pred   data prediction
with B^2 = b^2 + sigma_min^2, and, for a noise (data) prediction, the network and the conversion
both at the conversion time: t moved to where a (b) is at least 0.1, clamped into
[1e-4, 1 - 1e-4] (flow/path.cpp, conversion_time; doc/MATH.md). Labels y (-1: the null label)
and classifier-free guidance W mix the outputs: (1 - W) o(z, t, null) + W o(z, t, y).

The U-Net takes images of H x W pixels and C = 1 or 3 channels, stored H, W, C per sample (x:
(n, H W C) or (n, H, W[, C]); torch works in NCHW inside): the embedding s = silu(W2 silu(W1
f(t) + b1) + b2 + E_y) of the Fourier features f(t) = sin, cos(pi 2^k t); a 3x3 convolution in;
per level `blocks` residual blocks conv2(gnsilu(conv1(gnsilu(h)) + W_e s + b_e)) + skip(h)
(GroupNorm, eps 1e-5, then SiLU; skip a 1x1 convolution when the channels change), a stride-2
3x3 convolution down; up: nearest 2x up-sampling, a 3x3 convolution, the level's down output
concatenated after it, blocks; GroupNorm, SiLU and a 3x3 convolution out (FlowkitUNet).

A flowkit .safetensors file holds F32 tensors "weights.BLOCK" (and "ema.BLOCK") in C order and
the JSON configuration under the header's __metadata__ key "flowkit"; read_safetensors and
write_safetensors read and write that format with json and struct alone. A 3x3 convolution's
W is C_out x (9 C_in) there, column (3 ky + kx) C_in + c: torch's (C_out, C_in, 3, 3) weight
permuted; label.E is embed x (classes + 1), torch's nn.Embedding weight transposed. A JSON
model (flow-train -o model.json) stores each tensor as rows x cols of base64 floats in column
order (Eigen's); read_json_model gives the same blocks. A discrete model ("type": "discrete",
flow-train on token data) has a safetensors form in neither direction: load() reads its JSON.

The token U-Net (a discrete model, doc/DESIGN.md "Discrete flows"): each pixel's token (0..V-1,
or MASK = V with a mask source) selects a column of the learned table tok.E (token_embed x
states), the E-channel image the input convolution sees, and the output convolution gives V
channels, the logits of each pixel's posterior p_{1|t} (FlowkitUNet.network on token ids).

    m = load("model.safetensors")                    # a flowkit model in torch: MLP or U-Net
    m = load("tokens.json")                          # a token U-Net (flow-train --net unet on tokens)
    logits = m.network(x_t, t, y)                    # x_t: (n, H W) token ids; (n, H W V) logits
    v = m(x, t)                                      # x: (n, d) or images; t: float or (n,)
    v = m(x, t, y=labels, guidance=2.0)              # conditional models
    m.save("copy.safetensors")                       # back to flowkit
    m = FlowkitMLP.from_sequential(seq, dim)         # a torchcfm-style MLP on [x, t]
    m = FlowkitUNet(FlowkitUNet.make_config(28, 28, channels=(32, 64), num_classes=10))
    o = m.network(z, t, y)                           # a U-Net made (and trained) in torch
"""
import json
import math
import struct

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

T_MIN, T_MAX = 1e-4, 1.0 - 1e-4
CONVERT_MIN = 0.1  # flowkit's kConvertMin
LN_EPS = 1e-5
GN_EPS = 1e-5  # flowkit's kGnEps (nn/norm.cpp)

ACTIVATIONS = {
    "silu": nn.SiLU,
    "relu": nn.ReLU,
    "gelu": nn.GELU,  # exact (erf), as flowkit
    "tanh": nn.Tanh,
    "selu": nn.SELU,
}


# --- the safetensors format -------------------------------------------------------------------

def read_safetensors(path):
    """Returns ({name: float32 array in C order}, {metadata key: string})."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise ValueError(f"{path}: tensor '{name}' has dtype {e['dtype']}, want F32")
        b, end = e["data_offsets"]
        tensors[name] = np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"]).copy()
    return tensors, meta


def write_safetensors(path, tensors, metadata):
    """tensors: a list of (name, array), written in that order as little-endian F32."""
    header = {"__metadata__": metadata}
    at = 0
    blobs = []
    for name, a in tensors:
        a = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [at, at + a.nbytes]}
        at += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# --- schedules (flow/path.cpp) ------------------------------------------------------------------

class Schedule:
    def __init__(self, name):
        self.name = name
        self.kind, self.k = ("poly", float(name[5:])) if name.startswith("poly:") else (name, 1.0)
        if self.kind not in ("linear", "cosine", "poly"):
            raise ValueError(f"unknown schedule '{name}'")

    def coefficients(self, t):
        """a, b, a', b' at t."""
        if self.kind == "linear":
            return t, 1 - t, 1.0, -1.0
        if self.kind == "cosine":
            h = math.pi / 2
            return math.sin(h * t), math.cos(h * t), h * math.cos(h * t), -h * math.sin(h * t)
        k = self.k
        da = (1.0 if k == 1 else (math.inf if k < 1 else 0.0)) if t == 0 else k * t ** (k - 1)
        return t ** k, 1 - t ** k, da, -da

    def time_of_a(self, av):
        """The t where a(t) = av."""
        av = min(max(av, 0.0), 1.0)
        if self.kind == "linear":
            return av
        if self.kind == "cosine":
            return 2 / math.pi * math.asin(av)
        return av ** (1 / self.k)

    def time_of_b(self, bv):
        """The t where b(t) = bv."""
        bv = min(max(bv, 0.0), 1.0)
        if self.kind == "linear":
            return 1 - bv
        if self.kind == "cosine":
            return 2 / math.pi * math.acos(bv)
        return (1 - bv) ** (1 / self.k)


# --- what every learned model shares (model/field_learned.cpp) ---------------------------------

class FlowkitModel(nn.Module):
    """A flowkit learned model: normalization, prediction and schedule around a network
    (FlowkitMLP or FlowkitUNet provide network() and the tensors of the file)."""

    def __init__(self, config):
        super().__init__()
        self.config = {k: v for k, v in config.items() if k not in ("weights", "ema_weights")}
        self.dim = int(config["dim"] if "dim" in config else config["length"])  # a discrete model: its length
        self.num_classes = int(config["architecture"]["num_classes"])
        self.predict = config.get("predict", "velocity")
        self.schedule = Schedule(config.get("schedule", "linear"))
        self.sigma_min = float(config.get("training", {}).get("sigma_min", 0.0) or 0.0)  # blur of the path
        norm = config.get("normalization", {})
        self.register_buffer("mean", torch.tensor(norm.get("mean", [0.0] * self.dim), dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(norm.get("scale", [1.0] * self.dim), dtype=torch.float32))

    def blocks_map(self):
        """[(flowkit block name, torch parameter)] in the order of flowkit's layout."""
        raise NotImplementedError

    def to_file(self, name, p):
        """The tensor of block `name` as the file stores it: [rows, cols] in C order ([rows] for a vector)."""
        return p

    def from_file(self, name, a, p):
        """The file's tensor of block `name` shaped as parameter p."""
        return a.reshape(p.shape)

    def labels(self, y, n):
        """Labels (n,) with -1 or None as the null label (num_classes)."""
        lab = torch.full((n,), self.num_classes, dtype=torch.long) if y is None else \
            (y if torch.is_tensor(y) else torch.as_tensor(y)).long()  # a tensor stays an input of a trace
        lab = lab.expand(n) if lab.dim() == 0 else lab
        return torch.where(lab < 0, torch.full_like(lab, self.num_classes), lab)

    def time_features(self, t, n, like, freqs):
        # flowkit rounds t to float32, then computes sin, cos(pi 2^k t) in double, interleaved
        t = (t if torch.is_tensor(t) else torch.as_tensor(t)).to(torch.float32).to(torch.float64)
        t = t.expand(n) if t.dim() == 0 else t.reshape(n)
        if freqs == 0:
            return t.to(like.dtype)[:, None]
        f = math.pi * (2.0 ** torch.arange(freqs, dtype=torch.float64))
        ang = t[:, None] * f[None, :]
        return torch.stack([torch.sin(ang), torch.cos(ang)], dim=2).reshape(n, -1).to(like.dtype)

    def forward(self, x, t, y=None, guidance=1.0):
        """The velocity u(x, t) in data coordinates, as flow-eval field: x (n, d) (or for a U-Net
        (n, H, W[, C]) images, H, W, C order), t a float or (n,); y labels (n,) (-1: null) with
        classifier-free guidance (1 - W) o(null) + W o(y). The result has x's shape."""
        if getattr(self, "vocab", 0):
            raise ValueError("a discrete model has no velocity: network(x_t, t, y) gives its logits")
        shape = x.shape
        x = x.reshape(shape[0], -1)
        z = (x - self.mean) / self.scale
        if self.predict != "velocity":
            t = self.conversion_time(float(t))  # a conversion needs one time for the batch
        o = self.network(z, t, y)
        if self.num_classes > 0 and y is not None and guidance != 1.0:
            o = guidance * o + (1.0 - guidance) * self.network(z, t, None)
        if self.predict == "noise":
            pred = o
        elif self.predict == "data":
            pred = self.scale * o + self.mean
        else:
            return (self.scale * o).reshape(shape)
        a, b, da, db = self.schedule.coefficients(t)
        B2 = b * b + self.sigma_min ** 2
        if self.predict == "noise":
            v = (da / a) * x + (db - da * B2 / (a * b)) * pred
        else:
            v = (b * db / B2) * x + (da - a * b * db / B2) * pred
        return v.reshape(shape)

    def conversion_time(self, t):
        """Where flowkit asks a noise or data network and converts its prediction."""
        if self.predict == "noise":
            t = max(t, self.schedule.time_of_a(CONVERT_MIN))
        elif self.predict == "data":
            t = min(t, self.schedule.time_of_b(CONVERT_MIN))
        return min(max(t, T_MIN), T_MAX)

    # --- flowkit files ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path, which="sampling"):
        """A flowkit .safetensors model; which: sampling (what flowkit samples with), weights or ema.
        FlowkitModel.load (or load()) gives a FlowkitMLP or a FlowkitUNet, as the file says."""
        if path.endswith(".json"):
            tensors, config = read_json_model(path)
        else:
            tensors, meta = read_safetensors(path)
            config = json.loads(meta["flowkit"])
        kind = FlowkitUNet if config["architecture"].get("kind", "mlp") == "unet" else FlowkitMLP
        if cls is not FlowkitModel and cls is not kind:
            raise ValueError(f"{path}: a {kind.__name__[7:]} model, not a {cls.__name__[7:]} (use flowkit_torch.load)")
        m = kind(config)
        has_ema = any(k.startswith("ema.") for k in tensors)
        if which == "sampling":
            which = "ema" if has_ema and config.get("sampling_weights", "ema") == "ema" else "weights"
        m.load_blocks({k[len(which) + 1:]: v for k, v in tensors.items() if k.startswith(which + ".")})
        return m

    def load_blocks(self, blocks):
        with torch.no_grad():
            for name, p in self.blocks_map():
                p.copy_(self.from_file(name, torch.from_numpy(blocks[name]), p))

    def save(self, path, training=None):
        """Writes a flowkit .safetensors model (sampling uses these weights)."""
        if getattr(self, "vocab", 0):
            raise ValueError("a discrete model has no safetensors form in flowkit")
        cfg = dict(self.config)
        cfg["normalization"] = {"mean": self.mean.tolist(), "scale": self.scale.tolist()}
        cfg["sampling_weights"] = "weights"
        if training is not None:
            cfg["training"] = training
        tensors = []
        for name, p in self.blocks_map():
            v = self.to_file(name, p.detach().to(torch.float32).cpu()).contiguous()
            tensors.append(("weights." + name, v.numpy()))
        write_safetensors(path, tensors, {"flowkit": json.dumps(cfg)})


def load(path, which="sampling"):
    """The module of a flowkit model (.safetensors, or .json): a FlowkitMLP or a FlowkitUNet."""
    return FlowkitModel.load(path, which)


def read_json_model(path):
    """A flowkit JSON model as read_safetensors gives one: ({"weights.BLOCK" / "ema.BLOCK": float32
    array [rows, cols] in C order}, the configuration). The file's tensors are column-major."""
    import base64
    with open(path) as f:
        doc = json.load(f)
    tensors = {}
    for key, prefix in (("weights", "weights."), ("ema_weights", "ema.")):
        for t in doc.get(key, []):
            rows, cols = t["shape"]
            a = np.frombuffer(base64.b64decode(t["data"]), dtype="<f4").reshape(cols, rows).T
            tensors[prefix + t["name"]] = a.copy(order="C")
    config = {k: v for k, v in doc.items() if k not in ("weights", "ema_weights")}
    return tensors, config


def common_config(dim, shape, architecture, schedule, predict, mean, scale):
    return {
        "format": "flowkit-model", "version": 1, "type": "learned", "dim": dim, "shape": list(shape),
        "normalization": {"mean": list(mean or [0.0] * dim), "scale": list(scale or [1.0] * dim)},
        "schedule": schedule, "predict": predict, "source": "gaussian", "architecture": architecture,
        "training": {"trained_by": "pytorch"}, "sampling_weights": "weights",
    }


# --- the MLP (nn/mlp.cpp) -----------------------------------------------------------------------

class FlowkitMLP(FlowkitModel):
    """A flowkit learned model whose network is the MLP (plain or residual, any activation)."""

    def __init__(self, config):
        super().__init__(config)
        a = config["architecture"]
        self.width, self.depth = int(a["width"]), int(a["depth"])
        self.time_freqs, self.residual = int(a["time_freqs"]), bool(a["residual"])
        self.activation = a["activation"]
        act = ACTIVATIONS[self.activation]
        w = self.width
        tf = 2 * self.time_freqs if self.time_freqs > 0 else 1
        self.inp = nn.Linear(self.dim + tf, w)
        if self.residual:
            self.norms = nn.ModuleList(nn.LayerNorm(w, eps=LN_EPS) for _ in range(self.depth))
            self.blocks = nn.ModuleList(nn.Linear(w, w) for _ in range(self.depth))
        else:
            self.hidden = nn.ModuleList(nn.Linear(w, w) for _ in range(self.depth - 1))
        self.act = act()
        self.out = nn.Linear(w, self.dim)
        if self.num_classes > 0:
            self.label = nn.Embedding(self.num_classes + 1, w)  # the last row: the null label

    # flowkit's block names and the torch parameters they are (label.E is stored transposed)
    def blocks_map(self):
        m = [("in.W", self.inp.weight), ("in.b", self.inp.bias)]
        for l in range(1, self.depth + (1 if self.residual else 0)):
            if self.residual:
                ln, lin = self.norms[l - 1], self.blocks[l - 1]
                m += [(f"block{l}.gamma", ln.weight), (f"block{l}.beta", ln.bias)]
                m += [(f"block{l}.W", lin.weight), (f"block{l}.b", lin.bias)]
            else:
                lin = self.hidden[l - 1]
                m += [(f"hidden{l}.W", lin.weight), (f"hidden{l}.b", lin.bias)]
        m += [("out.W", self.out.weight), ("out.b", self.out.bias)]
        if self.num_classes > 0:
            m.append(("label.E", self.label.weight))
        return m

    def to_file(self, name, p):
        return p.t() if name == "label.E" else p

    def from_file(self, name, a, p):
        return a.t() if name == "label.E" else a.reshape(p.shape)

    def network(self, z, t, y=None):
        """The network output o(z, t, y) in normalized units; y: labels (n,), -1 or None: null."""
        n = z.shape[0]
        h = self.inp(torch.cat([z, self.time_features(t, n, z, self.time_freqs)], dim=1))
        if self.num_classes > 0:
            h = h + self.label(self.labels(y, n))
        if self.residual:
            for ln, lin in zip(self.norms, self.blocks):
                h = h + lin(self.act(ln(h)))
        else:
            h = self.act(h)
            for lin in self.hidden:
                h = self.act(lin(h))
        return self.out(h)

    @staticmethod
    def make_config(dim, width, depth, activation="silu", time_freqs=8, residual=False, num_classes=0,
                    schedule="linear", predict="velocity", mean=None, scale=None):
        """The configuration of a flowkit MLP model made outside flowkit."""
        arch = {"width": width, "depth": depth, "activation": activation, "time_freqs": time_freqs,
                "residual": residual, "num_classes": num_classes}
        return common_config(dim, [dim], arch, schedule, predict, mean, scale)

    @classmethod
    def from_sequential(cls, seq, dim, schedule="linear", predict="velocity"):
        """A flowkit model from a torchcfm-style nn.Sequential on cat([x, t]) (raw t last):
        Linear(dim + 1, w), act, [Linear(w, w), act]..., Linear(w, dim), one activation kind."""
        layers = list(seq)
        lins = [l for l in layers if isinstance(l, nn.Linear)]
        acts = [l for l in layers if not isinstance(l, nn.Linear)]
        names = {cls_: name for name, cls_ in ACTIVATIONS.items()}
        kinds = {type(a) for a in acts}
        if len(kinds) != 1 or next(iter(kinds)) not in names:
            raise ValueError("one activation kind of " + ", ".join(ACTIVATIONS) + " between the Linear layers")
        if isinstance(acts[0], nn.GELU) and acts[0].approximate != "none":
            raise ValueError("flowkit's gelu is the exact one (approximate='none')")
        if len(acts) != len(lins) - 1 or any(isinstance(a, nn.Linear) == isinstance(b, nn.Linear)
                                             for a, b in zip(layers, layers[1:])):
            raise ValueError("layers must alternate Linear, activation, ..., Linear")
        w = lins[0].out_features
        if lins[0].in_features != dim + 1 or lins[-1].out_features != dim or \
                any(l.in_features != w or l.out_features != w for l in lins[1:-1]) or lins[-1].in_features != w:
            raise ValueError(f"want Linear({dim} + 1, w), Linear(w, w)..., Linear(w, {dim})")
        m = cls(cls.make_config(dim, w, len(lins) - 1, names[next(iter(kinds))], time_freqs=0,
                                schedule=schedule, predict=predict))
        with torch.no_grad():
            for dst, src in zip([m.inp, *m.hidden, m.out], lins):
                dst.weight.copy_(src.weight)
                dst.bias.copy_(src.bias)
        return m


# --- the U-Net (nn/unet.cpp, unet_block.cpp, unet_layout.cpp, norm.cpp, conv.cpp) ---------------

class UNetBlock(nn.Module):
    """flowkit's residual block: conv2(gnsilu2(conv1(gnsilu1(x)) + emb(s))) + skip(x), skip a 1x1
    convolution when the channel count changes (else x itself)."""

    def __init__(self, cin, cout, embed, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=GN_EPS)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(embed, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=GN_EPS)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, s):
        h = self.conv1(F.silu(self.norm1(x))) + self.emb(s)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.skip(x) if self.skip is not None else x)

    def blocks_map(self, p):
        m = [(p + ".norm1.gamma", self.norm1.weight), (p + ".norm1.beta", self.norm1.bias),
             (p + ".conv1.W", self.conv1.weight), (p + ".conv1.b", self.conv1.bias),
             (p + ".emb.W", self.emb.weight), (p + ".emb.b", self.emb.bias),
             (p + ".norm2.gamma", self.norm2.weight), (p + ".norm2.beta", self.norm2.bias),
             (p + ".conv2.W", self.conv2.weight), (p + ".conv2.b", self.conv2.bias)]
        if self.skip is not None:
            m += [(p + ".skip.W", self.skip.weight), (p + ".skip.b", self.skip.bias)]
        return m


class FlowkitUNet(FlowkitModel):
    """A flowkit learned model whose network is the U-Net (flow-train --net unet) over H x W
    images of C = 1 or 3 channels, stored H, W, C per sample (x: (n, H W C) or (n, H, W[, C])).

    The embedding s = silu(W2 silu(W1 f(t) + b1) + b2 + E_y), f(t) the Fourier features; a 3x3
    convolution in; per level l (channels[l]) `blocks` residual blocks, the level's output kept,
    then (but at the last level) a stride-2 3x3 convolution; on the way up, per level from the
    second last, nearest 2x up-sampling, a 3x3 convolution to channels[l], that concatenated
    with (before) the level's kept output, `blocks` residual blocks (the first from 2
    channels[l]); GroupNorm, SiLU and a 3x3 convolution out."""

    def __init__(self, config):
        super().__init__(config)
        a = config["architecture"]
        shape = [int(s) for s in config["shape"]]
        if len(shape) not in (2, 3):
            raise ValueError(f"a U-Net model needs an image shape [H, W] or [H, W, C], got {shape}")
        self.height, self.width = shape[0], shape[1]
        self.image_channels = shape[2] if len(shape) == 3 else 1
        self.channels = [int(c) for c in a["channels"]]
        self.nblocks, self.embed = int(a["blocks"]), int(a["embed"])
        self.groups, self.time_freqs = int(a["groups"]), int(a["time_freqs"])
        # Over tokens (a discrete model): V data tokens (+ MASK with a mask source) in, V logits out
        self.vocab = int(config["vocab"]) if config.get("type") == "discrete" else 0
        states = self.vocab + (1 if config.get("source") == "mask" else 0)
        ch, L, e, g = self.channels, len(self.channels), self.embed, self.groups
        if self.time_freqs < 1:
            raise ValueError("the U-Net's time_freqs must be at least 1")
        if self.height % (1 << (L - 1)) or self.width % (1 << (L - 1)):
            raise ValueError(f"{L} levels need a height and width divisible by {1 << (L - 1)}")
        self.time1 = nn.Linear(2 * self.time_freqs, e)
        self.time2 = nn.Linear(e, e)
        if self.num_classes > 0:
            self.label = nn.Embedding(self.num_classes + 1, e)  # the last row: the null label
        if self.vocab:
            self.tok = nn.Embedding(states, int(a.get("token_embed", 16)))  # flowkit's tok.E transposed
        self.inp = nn.Conv2d(self.tok.embedding_dim if self.vocab else self.image_channels, ch[0], 3, padding=1)
        self.down_blocks = nn.ModuleList(
            nn.ModuleList(UNetBlock(ch[l] if b > 0 or l == 0 else ch[l - 1], ch[l], e, g)
                          for b in range(self.nblocks)) for l in range(L))
        self.downs = nn.ModuleList(nn.Conv2d(ch[l], ch[l], 3, stride=2, padding=1) for l in range(L - 1))
        self.ups = nn.ModuleList(nn.Conv2d(ch[l + 1], ch[l], 3, padding=1) for l in range(L - 1))
        self.up_blocks = nn.ModuleList(
            nn.ModuleList(UNetBlock(2 * ch[l] if b == 0 else ch[l], ch[l], e, g) for b in range(self.nblocks))
            for l in range(L - 1))
        self.out_norm = nn.GroupNorm(g, ch[0], eps=GN_EPS)
        self.out = nn.Conv2d(ch[0], self.vocab or self.image_channels, 3, padding=1)

    # In the order of flowkit's layout (unet_layout.cpp): embedding, stem, down path, up path, output
    def blocks_map(self):
        m = [("time.W1", self.time1.weight), ("time.b1", self.time1.bias),
             ("time.W2", self.time2.weight), ("time.b2", self.time2.bias)]
        if self.num_classes > 0:
            m.append(("label.E", self.label.weight))
        if self.vocab:
            m.append(("tok.E", self.tok.weight))
        m += [("in.W", self.inp.weight), ("in.b", self.inp.bias)]
        L = len(self.channels)
        for l in range(L):
            for b, blk in enumerate(self.down_blocks[l]):
                m += blk.blocks_map(f"down{l}.block{b}")
            if l + 1 < L:
                m += [(f"down{l}.down.W", self.downs[l].weight), (f"down{l}.down.b", self.downs[l].bias)]
        for l in range(L - 2, -1, -1):
            m += [(f"up{l}.up.W", self.ups[l].weight), (f"up{l}.up.b", self.ups[l].bias)]
            for b, blk in enumerate(self.up_blocks[l]):
                m += blk.blocks_map(f"up{l}.block{b}")
        m += [("out.norm.gamma", self.out_norm.weight), ("out.norm.beta", self.out_norm.bias),
              ("out.W", self.out.weight), ("out.b", self.out.bias)]
        return m

    # A convolution's W: C_out x (k k C_in) in the file, column (k ky + kx) C_in + c; torch's
    # weight is (C_out, C_in, k, k). label.E: embed x (classes + 1), tok.E: token_embed x states.
    def to_file(self, name, p):
        if name in ("label.E", "tok.E"):
            return p.t()
        if p.dim() == 4:
            return p.permute(0, 2, 3, 1).reshape(p.shape[0], -1)
        return p

    def from_file(self, name, a, p):
        if name in ("label.E", "tok.E"):
            return a.t()
        if p.dim() == 4:
            co, ci, k, _ = p.shape
            return a.reshape(co, k, k, ci).permute(0, 3, 1, 2)
        return a.reshape(p.shape)

    def network(self, z, t, y=None):
        """The network output o(z, t, y), (n, H W C) in normalized units; y: labels (n,), -1 or None: null.
        Over tokens: z (n, H W) token ids, o (n, H W V) the logits of each pixel's posterior."""
        n = z.shape[0]
        if self.vocab:
            x = self.tok(z.reshape(n, self.height, self.width).long()).permute(0, 3, 1, 2)
        else:
            x = z.reshape(n, self.height, self.width, self.image_channels).permute(0, 3, 1, 2)
        e = self.time2(F.silu(self.time1(self.time_features(t, n, x, self.time_freqs))))
        if self.num_classes > 0:
            e = e + self.label(self.labels(y, n))
        s = F.silu(e)
        h = self.inp(x)
        kept = []
        L = len(self.channels)
        for l in range(L):
            for blk in self.down_blocks[l]:
                h = blk(h, s)
            kept.append(h)
            if l + 1 < L:
                h = self.downs[l](h)
        for l in range(L - 2, -1, -1):
            h = self.ups[l](h.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3))  # nearest 2x
            h = torch.cat([h, kept[l]], dim=1)
            for blk in self.up_blocks[l]:
                h = blk(h, s)
        o = self.out(F.silu(self.out_norm(h)))
        return o.permute(0, 2, 3, 1).reshape(n, -1)

    @staticmethod
    def make_config(height, width, channels=(32, 64), image_channels=1, blocks=1, embed=64, groups=4,
                    time_freqs=8, num_classes=0, schedule="linear", predict="velocity", mean=None, scale=None):
        """The configuration of a flowkit U-Net model made outside flowkit (flow-train's defaults)."""
        arch = {"kind": "unet", "channels": list(channels), "blocks": blocks, "embed": embed, "groups": groups,
                "time_freqs": time_freqs, "num_classes": num_classes}
        shape = [height, width] + ([image_channels] if image_channels != 1 else [])
        return common_config(height * width * image_channels, shape, arch, schedule, predict, mean, scale)
