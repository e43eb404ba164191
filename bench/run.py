#!/usr/bin/python3
"""The driver of share/bench: runs every workload with flowkit and with its PyTorch (or POT)
peer at each thread count, prints one table and writes the results as JSON.

Every flowkit figure comes from the programs themselves (flow-train, flow-sample, flow-eval)
except the GEMM rate and W2 (bench/gemm_rate, bench/w2_rate: the library without I/O).
Long workloads are measured over fewer steps and scaled to the stated work (the cost of one
step does not depend on the step count); each row says what was measured.

Both sides are timed alike: one untimed warm-up run, then --reps timed runs, the best kept
(flowkit: whole program runs; PyTorch and POT: the workload repeated inside one process,
after its warm-up). PyTorch samples and integrates densities in chunks of 4,096 points, as
flowkit does; its one-batch figure is an extra row. Start-up is the same job on both sides:
a fresh process that loads the same model file (PyTorch: torch_flow.py's loader) and writes
a 1-point sample, 100 Euler steps; the best of --startup-runs (hyperfine) for both.

The U-Net rows (--only unet runs them alone) time flowkit's training step (Trainer::train_step)
and its sampling forward pass (the field's velocity of the batch, as flow-sample computes it)
with bench/unet_rate, and the same architecture in torch.nn (torch_flow.py unet: flowkit_torch's
FlowkitUNet) with the same loss, labels, clipping, Adam and EMA: on both sides one untimed
step (forward), then the best of --reps, inside one process each.

The discrete rows (--only discrete) run the 2-D checkerboard example's network
(share/examples/discrete-checkerboard.sh: 128 x 128 grid tokens, L = 2, V = 128, uniform
source, kappa = t^2; the token MLP of width 128, 3 layers) with the cross-entropy loss:
flow-train's steps per second (runs of k0 and k1 steps, start-up subtracted, as the MLP rows)
and flow-sample's sequences per second with 64 jump steps (runs of two step counts, scaled),
against torch_flow.py discrete-train and discrete-sample (the same network in torch.nn, the
same step and the same sampler loop in chunks of 2048; the sampler reads flowkit's model file,
and the table's note gives the total variation between the two sides' samples).

The token U-Net rows (--only dunet) run the discrete MNIST example's network
(share/examples/discrete-mnist.sh, its full settings: flow-data mnist --levels 16, --net unet
--channels 16,32,64 --groups 8 --embed 64 --token-embed 8 --batch 64, class-conditional with
--cond-drop 0.1, mask source, kappa = t, CE loss): flow-train's steps per second (runs of 2 and
2 + --dunet-train-steps steps, start-up subtracted) and flow-sample's images per second (--class
all, --dunet-images images, 50 jump steps from runs of --dunet-steps and twice that, scaled),
against torch_flow.py discrete-unet-train and discrete-unet-sample: the network built from the
same model file by flowkit_torch's FlowkitUNet (the same parameters and weights), the same
step, and the same sampler loop in flowkit's chunks of 16 images and in one batch (an extra
row), each eagerly and through torch.jit.trace + optimize_for_inference, the faster kept. The
peer first asserts that its log-posterior of 22 half-masked digits equals flowkit's
(bench/token_posterior) to 1e-4, on a copy of the model with random weights; the --dunet-*
flags shrink the workload for a smoke test."""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
WORKLOADS = ["gemm", "train", "sample", "logp", "w2", "unet", "sphere", "discrete", "dunet", "startup"]
PY = "/usr/bin/python3"


class Bench:
    def __init__(self, a):
        self.a = a
        self.root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
        self.bin = os.path.join(self.root, a.build, "bin")
        self.benchbin = os.path.join(self.root, a.build, "bench")
        self.tmp = tempfile.mkdtemp(prefix="flowkit-bench-")
        self.rows = []
        self.env = dict(os.environ, LD_LIBRARY_PATH=OPENBLAS + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
        self.blas = None

    # One run under /usr/bin/time: wall seconds (of the process), peak resident KiB, stdout.
    def run(self, cmd, threads=None):
        env = dict(self.env)
        if threads:
            env["OMP_NUM_THREADS"] = str(threads)
        mem = os.path.join(self.tmp, "mem")
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", mem, "-f", "%M"] + cmd, env=env, cwd=self.tmp,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        s = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(" ".join(cmd) + " failed: " + p.stderr.strip()[-400:])
        with open(mem) as f:
            kib = int(f.read().split()[-1])
        return s, kib / 1024.0, p.stdout

    def flow(self, prog, *args):
        return [os.path.join(self.bin, prog)] + [str(x) for x in args]

    def peer(self, script, *args):
        return [PY, os.path.join(self.root, "bench", script)] + [str(x) for x in args]

    def peer_json(self, script, threads, *args):
        s, mib, out = self.run(self.peer(script, *args, "--threads", threads), threads)
        r = json.loads(out)
        if script == "torch_flow.py":
            self.check_blas(r["blas"])
        return r, mib

    def check_blas(self, libs):
        if not any("openblas" in l for l in libs):
            raise RuntimeError("PyTorch did not load OpenBLAS (it mapped %s): not a fair peer" % libs)
        self.blas = libs

    def add(self, workload, unit, threads, ours, theirs, higher_better, mem_ours=None, mem_theirs=None, note=""):
        ratio = None
        if ours and theirs:
            ratio = ours / theirs if higher_better else theirs / ours
        row = {"workload": workload, "unit": unit, "threads": threads, "flowkit": ours, "peer": theirs,
               "speedup": ratio, "flowkit_peak_mib": mem_ours, "peer_peak_mib": mem_theirs, "note": note}
        self.rows.append(row)
        self.save_partial()
        print("  %-34s T=%d  flowkit %s  peer %s  x%s" % (workload, threads, fmt(ours), fmt(theirs), fmt(ratio)),
              file=sys.stderr, flush=True)

    # The rows so far, so that an interrupted run still leaves its figures (OUTPUT.partial).
    def save_partial(self):
        with open(os.path.join(self.root, self.a.output) + ".partial", "w") as f:
            json.dump({"machine": machine(), "rows": self.rows}, f, indent=1)

    # Safe wrapper: a workload that fails (a program not there yet) leaves a row saying why.
    def attempt(self, name, threads, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - reported in the table, the run goes on
            self.rows.append({"workload": name, "threads": threads, "error": str(e)[:300]})
            print("  %-34s T=%d  FAILED: %s" % (name, threads, str(e)[:300]), file=sys.stderr, flush=True)

    # Workloads
    def gemm(self, t):
        sizes = [1024, 2048]
        _, mib, out = self.run([os.path.join(self.benchbin, "gemm_rate"), str(t)] + [str(n) for n in sizes], t)
        ours = max(json.loads(l)["gflops"] for l in out.splitlines())
        r, pmib = self.peer_json("torch_flow.py", t, "gemm", "--n", *sizes)
        theirs = max(g["gflops"] for g in r["gemm"])
        self.gemm_rate[t] = ours
        self.add("SGEMM 1024-2048 (Eigen | torch.mm)", "GFLOP/s", t, ours, theirs, True, mib, pmib)

    def train(self, t, width, depth, batch, k0, k1):
        base = ["--width", width, "--depth", depth, "--batch", batch, "--threads", t, "--seed", 1, "-q"]
        model = os.path.join(self.tmp, "train.json")
        times = []
        self.run(self.flow("flow-train", "--steps", k0, "-o", model, *base), t)  # warm-up
        for k in (k0, k1):
            best = min(self.run(self.flow("flow-train", "--steps", k, "-o", model, *base), t)[0]
                       for _ in range(self.a.reps))
            times.append(best)
        _, mib, _ = self.run(self.flow("flow-train", "--steps", k1, "-o", model, *base), t)
        ours = (k1 - k0) / (times[1] - times[0])
        r, pmib = self.peer_json("torch_flow.py", t, "train", "--width", width, "--depth", depth, "--batch", batch,
                                 "--steps", k1 - k0, "--warmup", max(2, k0), "--reps", self.a.reps)
        flops = batch * (6 * weights(width, depth) - 2 * (2 + 16) * width)
        name = "train w%d d%d b%d" % (width, depth, batch)
        self.add(name, "steps/s", t, ours, r["steps_per_s"], True, mib, pmib,
                 "steps %d-%d of flow-train (start-up subtracted)" % (k0, k1))
        gf = ours * flops / 1e9
        self.add(name + " GFLOP/s", "GFLOP/s", t, gf, r["gflops"], True, None, None,
                 "%.0f%% of the measured GEMM rate" % (100 * gf / self.gemm_rate[t]) if t in self.gemm_rate else "")

    def model(self):
        m = os.path.join(self.tmp, "w256d4.json")
        if not os.path.exists(m):
            self.run(self.flow("flow-train", "--steps", 1, "--width", 256, "--depth", 4, "--batch", 256, "-q",
                               "-o", m))
        return m

    # Seconds of a whole run of `steps` steps from runs of k0 and k1 steps: the fixed cost (start-up,
    # model, output) plus `steps` times the cost of one step.
    def scaled_seconds(self, cmd_of, t, k0, k1, steps):
        self.run(cmd_of(k0), t)  # warm-up
        s0 = min(self.run(cmd_of(k0), t)[0] for _ in range(self.a.reps))
        runs = [self.run(cmd_of(k1), t) for _ in range(self.a.reps)]
        s1, mib = min(r[0] for r in runs), max(r[1] for r in runs)
        per_step = max(s1 - s0, 1e-9) / (k1 - k0)
        return max(s0 - k0 * per_step, 0.0) + steps * per_step, mib

    def sample(self, t, solver, steps, measured):
        n = self.a.points
        out = os.path.join(self.tmp, "samples.npy")
        cmd = lambda k: self.flow("flow-sample", "-m", self.model(), "-n", n, "--solver", solver, "--steps", k,
                                  "--threads", t, "--seed", 1, "-q", "-o", out)
        s, mib = self.scaled_seconds(cmd, t, measured, 2 * measured, steps)
        name = "sample %dk %s %d steps" % (n // 1000, solver, steps)
        for chunk in (4096, 0):  # PyTorch in flowkit's chunks, then the whole set in one batch
            r, pmib = self.peer_json("torch_flow.py", t, "sample", "--model", self.model(), "--n", n, "--solver",
                                     solver, "--steps", measured, "--reps", self.a.reps, "--chunk", chunk)
            theirs = n / (r["seconds"] * steps / measured)
            self.add(name + ("" if chunk else " (PyTorch one batch)"), "points/s", t, n / s, theirs, True, mib, pmib,
                     "flowkit: runs of %d and %d steps, scaled to %d; PyTorch: %s, loop of %d steps, scaled"
                     % (measured, 2 * measured, steps, "chunks of %d" % chunk if chunk else "one batch", measured))

    def logp(self, t, steps, measured):
        n = self.a.logp_points
        pts = os.path.join(self.tmp, "logp_points.npy")
        subprocess.run([PY, "-c", "import numpy as np; np.save('%s', np.random.default_rng(1).standard_normal((%d, 2))"
                        ".astype(np.float32))" % (pts, n)], check=True)
        out = os.path.join(self.tmp, "logp.npy")
        cmd = lambda k: self.flow("flow-eval", "logp", "-m", self.model(), pts, "--solver", "rk4", "--steps", k,
                                  "--threads", t, "-q", "-o", out)
        s, mib = self.scaled_seconds(cmd, t, measured, 2 * measured, steps)
        for chunk in (4096, 0):
            r, pmib = self.peer_json("torch_flow.py", t, "logp", "--model", self.model(), "--n", n, "--steps", measured,
                                     "--reps", self.a.reps, "--chunk", chunk)
            theirs = n / (r["seconds"] * steps / measured)
            self.add("exact logp d=2 rk4 %d steps" % steps + ("" if chunk else " (PyTorch one batch)"), "points/s", t,
                     n / s, theirs, True, mib, pmib, "%d points; flowkit: runs of %d and %d steps, scaled to %d; "
                     "PyTorch: %s" % (n, measured, 2 * measured, steps, "chunks of %d" % chunk if chunk else "one batch"))

    def w2(self, t, n):
        a, b = (os.path.join(self.tmp, "w2_%s_%d.npy" % (s, n)) for s in "ab")
        subprocess.run([PY, "-c", "import numpy as np; r = np.random.default_rng(%d); "
                        "np.save('%s', r.standard_normal((%d, 2)).astype(np.float32)); "
                        "np.save('%s', (r.standard_normal((%d, 2)) * [1.5, 0.7] + [1, 0]).astype(np.float32))"
                        % (n, a, n, b, n)], check=True)
        _, mib, out = self.run([os.path.join(self.benchbin, "w2_rate"), a, b, str(self.a.reps)], t)
        ours = json.loads(out)
        theirs, pmib = self.peer_json("pot_w2.py", t, a, b, "--reps", self.a.reps)
        agree = abs(ours["w2"] - theirs["w2"]) <= 1e-5 * theirs["w2"]
        self.add("W2 exact %d points" % n, "s", t, ours["seconds"], theirs["seconds"], False, mib, pmib,
                 "W2 %.6f vs POT %.6f (%s); POT: cost matrix %.2f s + emd2 %.2f s" %
                 (ours["w2"], theirs["w2"], "agree" if agree else "DISAGREE", theirs["cost_s"], theirs["emd_s"]))

    def startup(self):
        progs = sorted(f for f in os.listdir(self.bin) if f.startswith("flow-"))
        for p in progs:  # flowkit alone: PyTorch has no program that does nothing but start
            self.add("start-up %s --version" % p, "ms", 1, self.hyperfine(self.flow(p, "--version")), None, False,
                     None, None, "best of %d" % self.a.startup_runs)
        agree = self.same_field()
        one = os.path.join(self.tmp, "one.npy")
        ours = self.hyperfine(self.flow("flow-sample", "-m", self.model(), "-n", 1, "--solver", "euler", "--steps",
                                        100, "--threads", 1, "-q", "-o", one))
        theirs = self.hyperfine(self.peer("torch_flow.py", "sample", "--model", self.model(), "--n", 1, "--solver",
                                          "euler", "--steps", 100, "--threads", 1, "--out", one))
        self.add("start-up: 1-point sample of the w256 d4 model (fresh process)", "ms", 1, ours, theirs, False, None,
                 None, "both load the same model file and write one point (100 Euler steps); best of %d; "
                 "PyTorch loader: %s" % (self.a.startup_runs, agree))
        st = os.path.join(self.tmp, "model.safetensors")
        subprocess.run(self.flow("flow-train", "--convert", self.model(), "-o", st), check=True)
        ours_st = self.hyperfine(self.flow("flow-sample", "-m", st, "-n", 1, "--solver", "euler", "--steps", 100,
                                           "--threads", 1, "-q", "-o", one))
        self.add("start-up: 1-point sample of the w256 d4 model, safetensors form (fresh process)", "ms", 1, ours_st,
                 theirs, False, None, None, "the same model converted by flow-train --convert; best of %d"
                 % self.a.startup_runs)

    # The PyTorch loader gives flowkit's field: v(x, 0.5) at 64 points from both, compared.
    def same_field(self):
        pts, v = os.path.join(self.tmp, "field_points.npy"), os.path.join(self.tmp, "field.npy")
        subprocess.run([PY, "-c", "import numpy as np; np.save('%s', 2 * np.random.default_rng(3).standard_normal("
                        "(64, 2)).astype(np.float32))" % pts], check=True)
        self.run(self.flow("flow-eval", "field", "-m", self.model(), pts, "--t", 0.5, "-o", v))
        r, _ = self.peer_json("torch_flow.py", 1, "field", "--model", self.model(), "--points", pts, "--t", 0.5)
        import numpy as np
        ours, theirs = np.load(v), np.array(r["v"])
        err = float(np.abs(ours - theirs).max() / max(np.abs(ours).max(), 1e-30))
        if err > 1e-3:
            raise RuntimeError("torch_flow.py's loader does not give flowkit's field (relative error %.2g)" % err)
        return "same field (relative error %.1g)" % err

    # Best wall milliseconds of repeated runs after 3 warm-up runs (hyperfine if installed, else a loop).
    def hyperfine(self, cmd):
        runs = self.a.startup_runs
        if shutil.which("hyperfine"):
            js = os.path.join(self.tmp, "hf.json")
            subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--export-json", js,
                            subprocess.list2cmdline(cmd)], env=self.env, cwd=self.tmp, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(js) as f:
                return 1e3 * json.load(f)["results"][0]["min"]
        for _ in range(3):
            self.run(cmd)
        return 1e3 * min(self.run(cmd)[0] for _ in range(runs))

    # The U-Net's training step and sampling forward pass: bench/unet_rate against torch_flow.py unet.
    def unet(self, t):
        a = self.a
        ch, n, size, classes = a.unet_channels, a.unet_batch, 28, 10
        _, mib, out = self.run([os.path.join(self.benchbin, "unet_rate"), str(t), ch, str(n), str(size),
                                str(a.reps), str(classes)], t)
        ours = json.loads(out)
        r, pmib = self.peer_json("torch_flow.py", t, "unet", "--channels", ch, "--batch", n, "--size", size,
                                 "--classes", classes, "--blocks", 1, "--embed", 64, "--groups", 4, "--freqs", 8,
                                 "--reps", a.reps)
        if r["params"] != ours["params"]:
            raise RuntimeError("the PyTorch U-Net has %d parameters, flowkit's %d: not the same architecture"
                               % (r["params"], ours["params"]))
        arch = "batch %d, %dx%d, channels %s, 1 block, embed 64, conditional" % (n, size, size, ch)
        note = "%d parameters; one untimed call, then the best of %d, each side in one process" % (r["params"], a.reps)
        self.add("U-Net training step, " + arch, "steps/s", t, 1e3 / ours["step_best_ms"], r["steps_per_s"], True,
                 mib, pmib, "flowkit: Trainer::train_step (bench/unet_rate); " + note)
        self.add("U-Net sampling (image evaluations per second, forward of batch %d)" % n, "images/s", t,
                 n * 1e3 / ours["field_best_ms"], r["images_per_s"], True, None, None,
                 "flowkit: the field's velocity (pieces of 64 images over the threads); " + note)

    # A flow on the sphere: sphere.sh's data and network, flowkit against torch_flow.py sphere-*.
    def sphere(self, t):
        a = self.a
        data, model = os.path.join(self.tmp, "vmf.npy"), os.path.join(self.tmp, "sphere.json")
        if not os.path.exists(data):
            spec = ('{"weights": [0.4, 0.3, 0.2, 0.1], "means": [[0, 0, 1], [1, 0, 0], [0, -0.6, -0.8], '
                    '[-0.6, 0.8, 0]], "kappas": [10, 20, 30, 50]}')
            self.run(self.flow("flow-data", "vmf", "--spec", spec, "-n", 20000, "-o", data))
        net = ["--width", 128, "--depth", 3, "--batch", 256]
        k0, k1 = 20, 20 + 10 * a.train_steps
        cmd = lambda k: self.flow("flow-train", data, "--manifold", "sphere", *net, "--steps", k, "--threads", t,
                                  "--seed", 1, "-q", "-o", model)
        self.run(cmd(k0), t)  # warm-up
        s0, s1 = (min(self.run(cmd(k), t)[0] for _ in range(a.reps)) for k in (k0, k1))
        _, mib, _ = self.run(cmd(k1), t)
        r, pmib = self.peer_json("torch_flow.py", t, "sphere-train", "--points", data, *net, "--freqs", 8,
                                 "--steps", k1 - k0, "--warmup", k0, "--reps", a.reps)
        self.add("sphere train w128 d3 b256", "steps/s", t, (k1 - k0) / (s1 - s0), r["steps_per_s"], True, mib, pmib,
                 "steps %d-%d of flow-train --manifold sphere (start-up subtracted)" % (k0, k1))
        n, out = a.points, os.path.join(self.tmp, "sphere_samples.npy")
        scmd = lambda k: self.flow("flow-sample", "-m", model, "-n", n, "--solver", "euler", "--steps", k,
                                   "--threads", t, "--seed", 1, "-q", "-o", out)
        secs, smib = self.scaled_seconds(scmd, t, a.euler_steps, 2 * a.euler_steps, 100)
        r, pmib = self.peer_json("torch_flow.py", t, "sphere-sample", "--model", model, "--n", n, "--steps",
                                 a.euler_steps, "--reps", a.reps, "--chunk", 4096)
        self.add("sphere sample %dk euler 100 steps" % (n // 1000), "points/s", t, n / secs,
                 n / (r["seconds"] * 100 / a.euler_steps), True, smib, pmib,
                 "flowkit: runs of %d and %d steps, scaled to 100; PyTorch: chunks of 4096, loop of %d steps, scaled"
                 % (a.euler_steps, 2 * a.euler_steps, a.euler_steps))

    # The discrete checkerboard's training step and jump sampler against the same in torch.nn.
    def discrete(self, t):
        a = self.a
        data, model = os.path.join(self.tmp, "tokens.npy"), os.path.join(self.tmp, "discrete.json")
        if not os.path.exists(data):
            self.run(self.flow("flow-data", "checkerboard", "-n", 100000, "--levels", 128, "--seed", 1, "-o", data))
        net = ["--source", "uniform", "--kappa", "poly:2", "--loss", "ce", "--width", 128, "--depth", 3, "--batch",
               a.discrete_batch, "--seed", 1, "-q"]
        cmd = lambda k: self.flow("flow-train", data, "--steps", k, "--threads", t, "-o", model, *net)
        k0, k1 = 2, 2 + a.discrete_train_steps
        self.run(cmd(k0), t)  # warm-up
        s0, s1 = (min(self.run(cmd(k), t)[0] for _ in range(a.reps)) for k in (k0, k1))
        _, mib, _ = self.run(cmd(k1), t)
        r, pmib = self.peer_json("torch_flow.py", t, "discrete-train", "--data", data, "--vocab", 128, "--width", 128,
                                 "--depth", 3, "--batch", a.discrete_batch, "--steps", k1 - k0, "--reps", a.reps)
        name = "discrete train w128 d3 b%d (CE, 2-D checkerboard)" % a.discrete_batch
        self.add(name, "steps/s", t, (k1 - k0) / max(s1 - s0, 1e-9), r["steps_per_s"], True, mib, pmib,
                 "steps %d-%d of flow-train (start-up subtracted); %d parameters" % (k0, k1, r["params"]))
        n, steps, measured = a.discrete_points, 64, a.discrete_steps
        ours_out, theirs_out = os.path.join(self.tmp, "dsamples.npy"), os.path.join(self.tmp, "dtorch.npy")
        cmd = lambda k: self.flow("flow-sample", "-m", model, "-n", n, "--steps", k, "--threads", t, "--seed", 1,
                                  "-q", "-o", ours_out)
        s, mib = self.scaled_seconds(cmd, t, measured, 2 * measured, steps)
        r, pmib = self.peer_json("torch_flow.py", t, "discrete-sample", "--model", model, "--n", n, "--steps",
                                 measured, "--reps", a.reps, "--chunk", 2048, "--out", theirs_out)
        # The loader's check: the two sides' samples at `measured` steps are as close as two of flowkit's seeds
        seed2 = os.path.join(self.tmp, "dseed2.npy")
        self.run(self.flow("flow-sample", "-m", model, "-n", n, "--steps", measured, "--seed", 2, "-q", "-o", seed2))
        self.run(cmd(measured), t)
        self.add("discrete sample %dk, %d jump steps" % (n // 1000, steps), "sequences/s", t, n / s,
                 n / (r["seconds"] * steps / measured), True, mib, pmib,
                 "flowkit: runs of %d and %d steps, scaled to %d; PyTorch: chunks of 2048, %d steps, scaled; "
                 "TV of the 16 x 16 blocks' histograms at %d steps: flowkit to PyTorch %.3f, flowkit's seeds 1 to 2 "
                 "%.3f" % (measured, 2 * measured, steps, measured, measured, token_tv(ours_out, theirs_out),
                           token_tv(ours_out, seed2)))

    # The discrete MNIST example's token U-Net (share/examples/discrete-mnist.sh, its full settings):
    # flow-train's steps and flow-sample's jump sampler against torch_flow.py discrete-unet-*.
    def dunet(self, t):
        a = self.a
        data, model = os.path.join(self.tmp, "mnist16.npy"), os.path.join(self.tmp, "dunet.json")
        if not os.path.exists(data):
            self.run(self.flow("flow-data", "mnist", "--part", "train", "--levels", 16, "-o", data))
        net = ["--net", "unet", "--blocks", 1, "--channels", a.dunet_channels, "--groups", a.dunet_groups, "--embed",
               a.dunet_embed, "--token-embed", a.dunet_token_embed, "--batch", a.dunet_batch, "--conditional",
               "--cond-drop", 0.1, "--source", "mask", "--kappa", "poly:1", "--loss", "ce", "--lr", 0.002,
               "--warmup", 100, "--seed", 1, "-q"]
        cmd = lambda k: self.flow("flow-train", data, "--steps", k, "--threads", t, "-o", model, *net)
        k0, k1 = 2, 2 + a.dunet_train_steps
        self.run(cmd(k0), t)  # warm-up
        s0, s1 = (min(self.run(cmd(k), t)[0] for _ in range(a.reps)) for k in (k0, k1))
        if s1 <= s0:
            raise RuntimeError("flow-train of %d steps took no longer than of %d (%.2f s, %.2f s): too few steps timed "
                               "for this machine's noise (--dunet-train-steps)" % (k1, k0, s1, s0))
        _, mib, _ = self.run(cmd(k1), t)
        check, err = self.dunet_check(model, data)
        r, pmib = self.peer_json("torch_flow.py", t, "discrete-unet-train", "--model", model, "--data", data, "--batch",
                                 a.dunet_batch, "--steps", k1 - k0, "--warmup", 2, "--reps", a.reps, "--cond-drop", 0.1,
                                 "--lr", 0.002, *check)
        with open(model) as f:
            ours_params = sum(w["shape"][0] * w["shape"][1] for w in json.load(f)["weights"])
        if r["params"] != ours_params:
            raise RuntimeError("the PyTorch token U-Net has %d parameters, flowkit's %d" % (r["params"], ours_params))
        arch = "channels %s, token embed %d, batch %d" % (a.dunet_channels, a.dunet_token_embed, a.dunet_batch)
        self.add("discrete U-Net train (CE, MNIST 16 levels, %s)" % arch, "steps/s", t, (k1 - k0) / (s1 - s0),
                 r["steps_per_s"], True, mib, pmib, "steps %d-%d of flow-train (start-up subtracted); %d parameters; "
                 "PyTorch: the same model file's network and weights (flowkit_torch), %s" % (k0, k1, r["params"], err))
        per, steps, measured = max(1, a.dunet_images // 10), 50, a.dunet_steps
        out = os.path.join(self.tmp, "dunet_samples.npy")
        cmd = lambda k: self.flow("flow-sample", "-m", model, "--class", "all", "-n", per, "--steps", k, "--threads",
                                  t, "--seed", 1, "-q", "-o", out)
        secs, mib = self.scaled_seconds(cmd, t, measured, 2 * measured, steps)
        n = 10 * per
        for chunk in (16, 0):  # PyTorch in flowkit's chunks of 16 images, then all at once
            r, pmib = self.peer_json("torch_flow.py", t, "discrete-unet-sample", "--model", model, "--n", per, "--steps",
                                     measured, "--reps", a.reps, "--chunk", chunk, "--jit", a.dunet_jit, *check)
            how = r["how"] + ("" if r.get("jit_seconds") is None else " (eager %.3g s, traced %.3g s)"
                              % (r["eager_seconds"], r["jit_seconds"])) + ("; trace failed: " + r["jit_error"]
                                                                          if "jit_error" in r else "")
            self.add("discrete U-Net sample %d images (--class all), %d jump steps" % (n, steps)
                     + ("" if chunk else " (PyTorch one batch)"), "images/s", t, n / secs,
                     n / (r["seconds"] * steps / measured), True, mib, pmib,
                     "flowkit: runs of %d and %d steps, scaled to %d (chunks of 16 images over the threads); PyTorch: "
                     "%s, %d steps, scaled; %s" % (measured, 2 * measured, steps,
                                                   "chunks of %d" % chunk if chunk else "one batch", measured, how))

    # The peer's startup check: the model with random weights (a few steps of training leave the
    # output convolutions near their zero start, where most weights do not reach the logits: a
    # weight moved by 1e-3 went unseen), written as flowkit writes it; the first 2 (C + 1) training
    # digits (every label twice, the null label too, more than one of flowkit's pieces of 16),
    # each pixel masked with probability 1/2; flowkit's posterior of them at t = 0.5
    # (bench/token_posterior), which the peer's must equal.
    def dunet_check(self, model, data):
        import base64
        import numpy as np
        rng = np.random.default_rng(7)
        check, tokens, post = (os.path.join(self.tmp, f) for f in ("dunet_check.json", "dunet_check.npy",
                                                                    "dunet_post.npy"))
        with open(model) as f:
            doc = json.load(f)
        for key in ("weights", "ema_weights"):
            for w in doc.get(key, []):
                rows, cols = w["shape"]  # fan-in scaled matrices; gains near 1, biases near 0
                v = rng.standard_normal(rows * cols) * (cols ** -0.5 if cols > 1 else 0.2)
                v += 1.0 if w["name"].endswith(".gamma") else 0.0
                w["data"] = base64.b64encode(v.astype("<f4").tobytes()).decode()
        with open(check, "w") as f:
            json.dump(doc, f)
        with open(data, "rb") as f:
            x = np.lib.format.read_array(f)[:22].astype(np.int32)
        x[rng.random(x.shape) < 0.5] = 16  # MASK of 16 levels
        np.save(tokens, x)
        self.run([os.path.join(self.benchbin, "token_posterior"), check, tokens, "0.5", post])
        return ["--check-model", check, "--check-tokens", tokens, "--check-posterior", post, "--check-t", 0.5], \
            "its log-posterior of 22 half-masked digits at t = 0.5 is flowkit's to 1e-4 with random weights " \
            "(asserted at its start-up)"

    def go(self):
        self.gemm_rate = {}
        a = self.a
        on = lambda what: not a.only or what in a.only
        for t in a.threads:
            print("threads %d" % t, file=sys.stderr, flush=True)
            if on("gemm"):
                self.attempt("gemm", t, lambda: self.gemm(t))
            if on("train"):
                self.attempt("train w256", t, lambda: self.train(t, 256, 4, 4096, 2, 2 + a.train_steps))
                self.attempt("train w64", t, lambda: self.train(t, 64, 3, 512, 20, 20 + 25 * a.train_steps))
            if on("sample"):
                self.attempt("sample euler", t, lambda: self.sample(t, "euler", 100, a.euler_steps))
                self.attempt("sample rk4", t, lambda: self.sample(t, "rk4", 25, a.rk4_steps))
            if on("logp"):
                self.attempt("logp", t, lambda: self.logp(t, 100, a.logp_steps))
            if on("w2"):
                for n in a.w2:  # POT takes minutes at 10,000 points: the large sets at the first thread count
                    if n <= a.w2_every_threads or t == a.threads[0]:
                        self.attempt("w2 %d" % n, t, lambda: self.w2(t, n))
            if on("unet"):
                self.attempt("unet", t, lambda: self.unet(t))
            if on("sphere"):
                self.attempt("sphere", t, lambda: self.sphere(t))
            if on("discrete"):
                self.attempt("discrete", t, lambda: self.discrete(t))
            if on("dunet"):
                self.attempt("dunet", t, lambda: self.dunet(t))
        if on("startup"):
            self.attempt("start-up", 1, self.startup)
        shutil.rmtree(self.tmp, ignore_errors=True)


def weights(width, depth, dim=2, feats=16):
    return (dim + feats) * width + (depth - 1) * width * width + width * dim


def token_tv(a, b):
    """Total variation between the histograms of two (n, 2) token files of the 128 x 128 grid over
    its 16 x 16 blocks of 8 x 8 cells (a few samples per block, not a fraction of one per cell)."""
    import numpy as np
    x, y = np.load(a) // 8, np.load(b) // 8
    h = lambda z: np.bincount(z[:, 0] * 16 + z[:, 1], minlength=16 * 16) / len(z)
    return 0.5 * float(np.abs(h(x) - h(y)).sum())


def fmt(x):
    if x is None:
        return "-"
    if x >= 1e5:
        return "%.3g" % x
    return "%.3g" % x if x < 100 else "%.0f" % x


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(), "load_avg": load,
            "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}}


def table(rows):
    head = "| workload | unit | threads | flowkit | peer | speed-up | flowkit MiB | peer MiB |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        if "error" in r:
            lines.append("| %s | | %d | failed: %s | | | | |" % (r["workload"], r["threads"], r["error"][:80]))
            continue
        lines.append("| %s | %s | %d | %s | %s | %s | %s | %s |" % (
            r["workload"], r["unit"], r["threads"], fmt(r["flowkit"]), fmt(r["peer"]),
            "-" if r["speedup"] is None else "%.2fx" % r["speedup"], fmt(r["flowkit_peak_mib"]),
            fmt(r["peer_peak_mib"])))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("-o", "--output", default="bench/results.json")
    p.add_argument("--reps", type=int, default=2, help="timed repetitions of every workload, on both sides, after "
                   "one untimed warm-up (the best is kept)")
    p.add_argument("--train-steps", type=int, default=30, help="timed steps at width 256 (x25 at width 64)")
    p.add_argument("--points", type=int, default=100000)
    p.add_argument("--euler-steps", type=int, default=4, help="Euler steps measured (scaled to 100)")
    p.add_argument("--rk4-steps", type=int, default=1, help="RK4 steps measured (scaled to 25)")
    p.add_argument("--logp-points", type=int, default=8192, help="points of the density workload (2 chunks of flow-eval)")
    p.add_argument("--logp-steps", type=int, default=1, help="RK4 steps measured (and twice that; scaled to 100)")
    p.add_argument("--w2", type=int, nargs="*", default=[2000, 10000])
    p.add_argument("--w2-every-threads", type=int, default=2000, help="larger W2 sets run at the first thread count only")
    p.add_argument("--startup-runs", type=int, default=20)
    p.add_argument("--only", nargs="+", choices=WORKLOADS, help="run these workloads alone (default: all): "
                   + ", ".join(WORKLOADS))
    p.add_argument("--unet-batch", type=int, default=128, help="images per U-Net batch")
    p.add_argument("--unet-channels", default="32,64,128", help="the U-Net's channels per level")
    p.add_argument("--discrete-batch", type=int, default=1024, help="batch of the discrete training step")
    p.add_argument("--discrete-train-steps", type=int, default=40, help="discrete training steps timed")
    p.add_argument("--discrete-points", type=int, default=20000, help="sequences the discrete sampler draws")
    p.add_argument("--discrete-steps", type=int, default=8, help="jump steps measured (and twice that; scaled "
                   "to 64)")
    p.add_argument("--dunet-channels", default="16,32,64", help="the token U-Net's channels (discrete-mnist.sh's)")
    p.add_argument("--dunet-groups", type=int, default=8, help="the token U-Net's GroupNorm groups")
    p.add_argument("--dunet-embed", type=int, default=64, help="the token U-Net's time/label embedding")
    p.add_argument("--dunet-token-embed", type=int, default=8, help="the token U-Net's values per token")
    p.add_argument("--dunet-batch", type=int, default=64, help="the token U-Net's training batch")
    p.add_argument("--dunet-train-steps", type=int, default=20, help="token U-Net training steps timed")
    p.add_argument("--dunet-images", type=int, default=200, help="token images the sampler draws (a tenth of "
                   "them of each class)")
    p.add_argument("--dunet-steps", type=int, default=4, help="jump steps measured (and twice that; scaled to 50)")
    p.add_argument("--dunet-jit", type=int, default=1, help="the PyTorch sampler also tries torch.jit.trace + "
                   "optimize_for_inference and keeps the faster (0: eager only)")
    a = p.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    m = machine()
    print("flowkit bench on %s (%d CPUs), load %s; OPENBLAS env: %s" % (m["cpu"], m["cpus"], " ".join(m["load_avg"]),
          m["openblas_env"] or "none"), file=sys.stderr)
    b = Bench(a)
    b.go()
    m["load_avg_end"] = open("/proc/loadavg").read().split()[:3]
    res = {"date": started.isoformat(timespec="seconds"), "seconds": (datetime.datetime.now(datetime.timezone.utc)
           - started).total_seconds(), "machine": m, "peer_blas": b.blas, "settings": vars(a), "rows": b.rows}
    out = os.path.join(b.root, a.output)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    if os.path.exists(out + ".partial"):
        os.remove(out + ".partial")
    print("flowkit benchmark, %s, %s (%d CPUs), load %s -> %s" % (res["date"], m["cpu"], m["cpus"],
          " ".join(m["load_avg"]), " ".join(m["load_avg_end"])))
    print("peer BLAS: %s; OPENBLAS env: %s" % (", ".join(b.blas or ["-"]), m["openblas_env"] or "none"))
    print("speed-up: how many times faster flowkit is (peer time / flowkit time); peer = PyTorch %s, POT for W2"
          % "(OpenBLAS)")
    print(table(b.rows))
    print("JSON: %s (%.0f s)" % (a.output, res["seconds"]))


if __name__ == "__main__":
    main()
