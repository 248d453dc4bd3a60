#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints what a PNG screenshot holds, as one JSON line: width, height,
distinct colours, and pixels that differ from the most common colour (the
background). Decodes with zlib only (8-bit RGB/RGBA, non-interlaced: what
Chromium writes), so the chart test needs no imaging package."""
import json
import struct
import sys
import zlib
from collections import Counter


def main(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG: " + path)
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        sys.exit("unsupported PNG: depth %d colour type %d interlace %d" % (depth, colour_type, interlace))
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    counts = Counter()
    i = 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        counts.update(bytes(line[x:x + 3]) for x in range(0, stride, bpp))
        prev = line
    background, most = counts.most_common(1)[0]
    print(json.dumps({"width": width, "height": height, "distinct": len(counts),
                      "nonBackground": width * height - most,
                      "background": background.hex(),
                      # pixels of the palette's first two colours (the charts' lines)
                      "blue": counts.get(bytes.fromhex("1f77b4"), 0),
                      "red": counts.get(bytes.fromhex("d62728"), 0)}))


if __name__ == "__main__":
    main(sys.argv[1])
