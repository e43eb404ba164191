"""flowkit models in PyTorch: the torch.nn.Module equivalent to a flowkit learned model.

Only torch, numpy and the standard library. The module computes exactly what flowkit's field
computes (lib/flowkit/nn/mlp.cpp, model/field_learned.cpp, flow/path.cpp):

    z = (x - mean) / scale
    o = net(z, t, y)                      the MLP (plain or residual, any activation)
    pred = A o + c                        velocity: A = scale, c = 0; data: scale, mean; noise: 1, 0
    v = pred                              velocity prediction
    v = (a'/a) x + (b' - a' B^2 / (a b)) pred   noise prediction
    v = (b b'/B^2) x + (a' - a b b'/B^2) pred   data prediction
with B^2 = b^2 + sigma_min^2, and, for a noise (data) prediction, the network and the conversion
both at the conversion time: t moved to where a (b) is at least 0.1, clamped into
[1e-4, 1 - 1e-4] (flow/path.cpp, conversion_time; doc/MATH.md).

A flowkit .safetensors file holds F32 tensors "weights.BLOCK" (and "ema.BLOCK") in C order and
the JSON configuration under the header's __metadata__ key "flowkit"; read_safetensors and
write_safetensors read and write that format with json and struct alone.

    m = FlowkitMLP.load("model.safetensors")       # a flowkit model in torch
    v = m(x, t)                                      # x: (n, d), t: float or (n,)
    m.save("copy.safetensors")                       # back to flowkit
    m = FlowkitMLP.from_sequential(seq, dim)         # a torchcfm-style MLP on [x, t]
"""
import json
import math
import struct

import numpy as np
import torch
from torch import nn

T_MIN, T_MAX = 1e-4, 1.0 - 1e-4
CONVERT_MIN = 0.1  # flowkit's kConvertMin
LN_EPS = 1e-5

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


# --- the network (nn/mlp.cpp) -------------------------------------------------------------------

class FlowkitMLP(nn.Module):
    """A flowkit learned model: its MLP, normalization, prediction and schedule."""

    def __init__(self, config):
        super().__init__()
        self.config = {k: v for k, v in config.items() if k not in ("weights", "ema_weights")}
        a = config["architecture"]
        self.dim = int(config["dim"])
        self.width, self.depth = int(a["width"]), int(a["depth"])
        self.time_freqs, self.residual = int(a["time_freqs"]), bool(a["residual"])
        self.num_classes = int(a["num_classes"])
        self.activation = a["activation"]
        self.predict = config.get("predict", "velocity")
        self.schedule = Schedule(config.get("schedule", "linear"))
        self.sigma_min = float(config.get("training", {}).get("sigma_min", 0.0) or 0.0)  # blur of the path
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
        norm = config.get("normalization", {})
        self.register_buffer("mean", torch.tensor(norm.get("mean", [0.0] * self.dim), dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(norm.get("scale", [1.0] * self.dim), dtype=torch.float32))

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

    def time_features(self, t, n, like):
        # flowkit rounds t to float32, then computes the features in double
        t = torch.as_tensor(t, dtype=torch.float32).to(torch.float64)
        t = t.expand(n) if t.dim() == 0 else t.reshape(n)
        if self.time_freqs == 0:
            return t.to(like.dtype)[:, None]
        f = math.pi * (2.0 ** torch.arange(self.time_freqs, dtype=torch.float64))
        ang = t[:, None] * f[None, :]
        return torch.stack([torch.sin(ang), torch.cos(ang)], dim=2).reshape(n, -1).to(like.dtype)

    def network(self, z, t, y=None):
        """The network output o(z, t, y) in normalized units; y: labels (n,), -1 or None: null."""
        n = z.shape[0]
        h = self.inp(torch.cat([z, self.time_features(t, n, z)], dim=1))
        if self.num_classes > 0:
            lab = torch.full((n,), self.num_classes, dtype=torch.long) if y is None else torch.as_tensor(y).long()
            lab = torch.where(lab < 0, torch.full_like(lab, self.num_classes), lab)
            h = h + self.label(lab)
        if self.residual:
            for ln, lin in zip(self.norms, self.blocks):
                h = h + lin(self.act(ln(h)))
        else:
            h = self.act(h)
            for lin in self.hidden:
                h = self.act(lin(h))
        return self.out(h)

    def forward(self, x, t, y=None, guidance=1.0):
        """The velocity u(x, t) in data coordinates (x: (n, d); t: a float or (n,)), as flow-eval field."""
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
            return self.scale * o
        a, b, da, db = self.schedule.coefficients(t)
        B2 = b * b + self.sigma_min ** 2
        if self.predict == "noise":
            return (da / a) * x + (db - da * B2 / (a * b)) * pred
        return (b * db / B2) * x + (da - a * b * db / B2) * pred

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
        """A flowkit .safetensors model; which: sampling (what flowkit samples with), weights or ema."""
        tensors, meta = read_safetensors(path)
        config = json.loads(meta["flowkit"])
        m = cls(config)
        has_ema = any(k.startswith("ema.") for k in tensors)
        if which == "sampling":
            which = "ema" if has_ema and config.get("sampling_weights", "ema") == "ema" else "weights"
        m.load_blocks({k[len(which) + 1:]: v for k, v in tensors.items() if k.startswith(which + ".")})
        return m

    def load_blocks(self, blocks):
        with torch.no_grad():
            for name, p in self.blocks_map():
                v = torch.from_numpy(blocks[name])
                p.copy_(v.t() if name == "label.E" else v.reshape(p.shape))

    def save(self, path, training=None):
        """Writes a flowkit .safetensors model (sampling uses these weights)."""
        cfg = dict(self.config)
        cfg["normalization"] = {"mean": self.mean.tolist(), "scale": self.scale.tolist()}
        cfg["sampling_weights"] = "weights"
        if training is not None:
            cfg["training"] = training
        tensors = []
        for name, p in self.blocks_map():
            v = p.detach().to(torch.float32).cpu()
            v = v.t() if name == "label.E" else v
            tensors.append(("weights." + name, v.numpy()))
        write_safetensors(path, tensors, {"flowkit": json.dumps(cfg)})

    @staticmethod
    def make_config(dim, width, depth, activation="silu", time_freqs=8, residual=False, num_classes=0,
                    schedule="linear", predict="velocity", mean=None, scale=None):
        """The configuration of a flowkit model made outside flowkit."""
        return {
            "format": "flowkit-model", "version": 1, "type": "learned", "dim": dim, "shape": [dim],
            "normalization": {"mean": list(mean or [0.0] * dim), "scale": list(scale or [1.0] * dim)},
            "schedule": schedule, "predict": predict, "source": "gaussian",
            "architecture": {"width": width, "depth": depth, "activation": activation, "time_freqs": time_freqs,
                             "residual": residual, "num_classes": num_classes},
            "training": {"trained_by": "pytorch"}, "sampling_weights": "weights",
        }

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
