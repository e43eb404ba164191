#!/usr/bin/python3
"""Writes a small grey or RGB PNG with the standard library only, for the command-line tests.
Usage: make_png.py OUT WIDTH HEIGHT CHANNELS VALUE   (pixel k of the image is (VALUE + k) % 256)"""
import struct
import sys
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def main():
    out, w, h, c, value = sys.argv[1], *map(int, sys.argv[2:6])
    colour = {1: 0, 3: 2, 4: 6}[c]
    raw = b""
    for y in range(h):
        raw += b"\0" + bytes((value + (y * w * c) + k) % 256 for k in range(w * c))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(out, "wb") as f:
        f.write(png)


main()
