"""Reads flow-plot's pictures for tests/cli/flow-plot.sh: PNG decoded here (zlib and the five
row filters of the PNG standard, no imaging library), SVG parsed as XML, PDF's header and page
count. Usage: pictures.py size|svg|pdf|diff|centroid|ink|map FILE [FILE] [...]"""
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

import numpy as np


def png(path):
    """The pixels of an 8-bit PNG as an (H, W, 3) array of ints (alpha and grey made RGB)."""
    b = open(path, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat = 8, b""
    while pos < len(b):
        (n,) = struct.unpack(">I", b[pos:pos + 4])
        kind, data = b[pos + 4:pos + 8], b[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", data[:10])
        elif kind == b"IDAT":
            idat += data
        elif kind == b"IEND":
            break
    if depth != 8:
        raise SystemExit(f"{path}: bit depth {depth}")
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, w * ch + 1).astype(np.int64)
    out = np.zeros((h, w * ch), np.int64)
    prev = np.zeros(w * ch, np.int64)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:]
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:  # sub, average, Paeth: each byte depends on the one ch bytes to its left
            cur = line.copy()
            for i in range(w * ch):
                a = cur[i - ch] if i >= ch else 0
                c = prev[i - ch] if i >= ch else 0
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + prev[i]) // 2
                else:
                    p = a + prev[i] - c
                    pa, pb, pc = abs(p - a), abs(p - prev[i]), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else prev[i] if pb <= pc else c
                cur[i] = (line[i] + pred) & 255
        out[y] = cur
        prev = cur
    px = out.reshape(h, w, ch)
    return np.repeat(px, 3, 2) if ch <= 2 else px[:, :, :3]


def main():
    what, path = sys.argv[1], sys.argv[2]
    if what == "size":
        p = png(path)
        print(f"{p.shape[1]}x{p.shape[0]}")
    elif what == "svg":  # the page's size, in the units it was written in
        root = ET.parse(path).getroot()
        print(root.get("width"), root.get("height"))
    elif what == "pdf":
        b = open(path, "rb").read()
        pages = len(re.findall(rb"/Type\s*/Page\b", b))
        box = re.search(rb"/MediaBox\s*\[\s*([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)\s*\]", b)
        print(b[:5].decode("latin-1"), pages, box.group(3).decode(), box.group(4).decode())
    elif what == "diff":  # mean |PNG - render| over channels, the PNG averaged down to the render
        a, r = png(path).astype(float), png(sys.argv[3]).astype(float)
        k = a.shape[0] // r.shape[0]
        if a.shape[0] != k * r.shape[0] or a.shape[1] != k * r.shape[1]:
            raise SystemExit(f"sizes {a.shape} and {r.shape} are not a whole factor apart")
        small = a.reshape(r.shape[0], k, r.shape[1], k, 3).mean((1, 3))
        print(f"{np.abs(small - r).mean():.2f}")
    elif what == "centroid":  # of the bluish pixels (blue above red by 30): x y as fractions
        p = png(path)
        ys, xs = np.nonzero(p[:, :, 2] > p[:, :, 0] + 30)
        print(f"{xs.mean() / p.shape[1]:.3f} {ys.mean() / p.shape[0]:.3f} {len(xs)}")
    elif what == "ink":  # pixels darker than the grid lines in the box x0 y0 x1 y1 (fractions)
        p = png(path)
        h, w = p.shape[:2]
        x0, y0, x1, y1 = (float(v) for v in sys.argv[3:7])
        box = p[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)]
        print(int((box.min(2) < 200).sum()))
    elif what == "map":  # the bluish centroid within the box of non-white pixels (the map's
        p = png(path)    # outline): x y as fractions of that box, and the box's size
        ys, xs = np.nonzero(p.min(2) < 255)
        bx0, bx1, by0, by1 = xs.min(), xs.max(), ys.min(), ys.max()
        ys, xs = np.nonzero(p[:, :, 2] > p[:, :, 0] + 30)
        print(f"{(xs.mean() - bx0) / (bx1 - bx0):.3f} {(ys.mean() - by0) / (by1 - by0):.3f} "
              f"{bx1 - bx0 + 1}x{by1 - by0 + 1}")
    elif what == "bands":  # mean y (fraction of the height) of the yellow and of the dark
        p = png(path)       # purple pixels left of x = 0.8 (a heat map's top and bottom colours)
        p = p[:, :int(0.8 * p.shape[1])].astype(int)
        yellow = np.nonzero((p[:, :, 0] > 200) & (p[:, :, 1] > 200) & (p[:, :, 2] < 100))[0]
        purple = np.nonzero((p[:, :, 0] < 90) & (p[:, :, 1] < 30) & (p[:, :, 2] > 70))[0]
        print(f"{yellow.mean() / len(p):.3f} {purple.mean() / len(p):.3f}")
    elif what == "pixel":  # the colour at the fractions x y of the box of non-white pixels
        p = png(path)
        ys, xs = np.nonzero(p.min(2) < 255)
        bx0, bx1, by0, by1 = xs.min(), xs.max(), ys.min(), ys.max()
        x = int(bx0 + float(sys.argv[3]) * (bx1 - bx0)); y = int(by0 + float(sys.argv[4]) * (by1 - by0))
        print(*p[y, x])


if __name__ == "__main__":
    main()
