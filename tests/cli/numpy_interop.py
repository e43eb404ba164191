#!/usr/bin/python3
"""numpy reads what flow-data writes and writes what it reads, exactly: every dtype, byte
order and memory order the stream contract lists, NPY versions 1 to 3, two arrays in one
stream, and CSV/JSON against numpy's text functions. Run by numpy_interop.sh in a temporary
directory with flow-data on PATH; prints one line per failure and exits 1 on any."""
import io
import json
import subprocess
import sys

import numpy as np

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def flow_data(*args, stdin=None):
    r = subprocess.run(["flow-data", *args], input=stdin, capture_output=True)
    if r.returncode != 0:
        raise SystemExit("flow-data %s failed: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout


def same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


# 1. numpy reads what we write: points + labels, byte for byte what np.save writes
raw = flow_data("moons", "-n", "257", "--labels", "--seed", "3")
f = io.BytesIO(raw)
points, labels = np.load(f), np.load(f)
check(points.dtype == np.float32 and points.shape == (257, 2), "points are float32 (257, 2)")
check(labels.dtype == np.float32 and labels.shape == (257,), "labels are float32 (257,)")
check(f.read() == b"", "nothing after the second array")
again = io.BytesIO()
np.save(again, points)
np.save(again, labels)
check(again.getvalue() == raw, "our two-array stream is byte for byte what np.save writes")
csv = np.loadtxt(io.BytesIO(flow_data("moons", "-n", "257", "--labels", "--seed", "3", "-f", "csv")),
                 delimiter=",", skiprows=1, dtype=np.float32)
check(same(csv[:, :2], points) and same(csv[:, 2], labels), "our CSV holds exactly the NPY values (np.loadtxt)")
js = json.loads(flow_data("moons", "-n", "257", "--labels", "--seed", "3", "-f", "json"))
check(same(np.array(js["data"], np.float32), points) and same(np.array(js["labels"], np.float32), labels),
      "our JSON holds exactly the NPY values")
images = io.BytesIO(flow_data("digits"))
digits, digit_labels = np.load(images), np.load(images)
check(digits.shape == (1797, 8, 8) and digit_labels.shape == (1797,), "digits (1797, 8, 8) with labels")
for shape in [(7,), (3, 4, 5), (2, 3, 2, 2)]:
    a = (np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 7).astype(np.float32)
    buf = io.BytesIO()
    np.save(buf, a)
    out = io.BytesIO(flow_data("convert", "-f", "npy", stdin=flow_data("convert", "-f", "csv", stdin=buf.getvalue())))
    check(same(np.load(out), a), "shape %s survives NPY -> CSV -> NPY exactly" % (shape,))
    check(flow_data("convert", "-f", "npy", stdin=buf.getvalue()) == buf.getvalue(),
          "shape %s: our NPY is byte for byte numpy's" % (shape,))

# 2. we read what numpy writes: every dtype, byte order and order
values = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 127]])
for kind in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]:
    for order_char in "<>":
        for order in "CF":
            base = values % 2 if kind == "b1" else values
            if kind[0] == "i":
                base = base * np.where(values % 2 == 0, 1, -1)  # negatives too
            if kind[0] == "f":
                base = base / 4.0 - 1.5
            dt = np.dtype(order_char + kind) if kind not in ("i1", "u1", "b1") else np.dtype(kind)
            a = np.asarray(base).astype(dt)
            a = np.asfortranarray(a) if order == "F" else np.ascontiguousarray(a)
            buf = io.BytesIO()
            np.save(buf, a)
            got = np.load(io.BytesIO(flow_data("convert", "-f", "npy", stdin=buf.getvalue())))
            want = a.astype(np.float32)
            check(same(got, want), "%s%s %s order reads exactly" % (order_char, kind, order))
# Fortran order in three dimensions, and NPY versions 2.0 and 3.0
cube = np.asfortranarray(np.arange(24, dtype=">f8").reshape(2, 3, 4))
buf = io.BytesIO()
np.save(buf, cube)
check(same(np.load(io.BytesIO(flow_data("convert", stdin=buf.getvalue()))), cube.astype(np.float32)),
      "a Fortran-order (2, 3, 4) big-endian float64 array reads in C order")
for version in [(2, 0), (3, 0)]:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, values.astype("<i4"), version=version)
    check(same(np.load(io.BytesIO(flow_data("convert", stdin=buf.getvalue()))), values.astype(np.float32)),
          "NPY version %d.%d reads" % version)
# Two arrays written by numpy (points then labels): we keep both
buf = io.BytesIO()
np.save(buf, values.astype("<f8"))
np.save(buf, np.array([4, 3, 2, 1, 0], dtype=">i2"))
out = io.BytesIO(flow_data("convert", stdin=buf.getvalue()))
first, second = np.load(out), np.load(out)
check(same(first, values.astype(np.float32)) and same(second, np.array([4, 3, 2, 1, 0], np.float32)),
      "two arrays written by numpy come back as two arrays")
js = json.loads(flow_data("convert", "-f", "json", stdin=buf.getvalue()))
check(js["labels"] == [4, 3, 2, 1, 0] and js["data"][4] == [12, 13, 127], "two arrays as JSON data and labels")
# numpy's own text: savetxt with a '# ' header, and a trajectory's JSON
text = io.StringIO()
np.savetxt(text, values / 8.0, delimiter=",", header="x,y,z", fmt="%.17g")
got = np.load(io.BytesIO(flow_data("convert", "-f", "npy", stdin=text.getvalue().encode())))
check(same(got, (values / 8.0).astype(np.float32)), "np.savetxt CSV with a header reads exactly")
traj = {"times": [0.0, 0.5, 1.0], "states": np.arange(12.0).reshape(3, 2, 2).tolist()}
out = io.BytesIO(flow_data("convert", "-f", "npy", stdin=json.dumps(traj).encode()))
states, times = np.load(out), np.load(out)
check(states.shape == (3, 2, 2) and same(times, np.array([0, 0.5, 1], np.float32)), "a JSON trajectory becomes states + times")

print("%d numpy checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
