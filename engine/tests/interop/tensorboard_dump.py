"""Prints what TensorBoard's own loader sees in a log directory, as JSON.

Usage: python tensorboard_dump.py LOGDIR

Each run (a directory holding event files) is loaded with TensorBoard's EventAccumulator;
tensors are decoded with TensorBoard's tensor_util and PNG images are decoded here (8-bit,
non-interlaced) so the caller can compare pixels.
"""

import json
import os
import struct
import sys
import zlib

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util


def decode_png(data):
    """Returns (width, height, channels, flat pixel list) of an 8-bit non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0, "only 8-bit non-interlaced PNGs"
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.extend(line)
        prev = line
    return width, height, channels, list(rows)


def load_run(path):
    acc = event_accumulator.EventAccumulator(path, size_guidance={"tensors": 0, "scalars": 0})
    acc.Reload()
    run = {"scalars": {}, "histograms": {}, "text": {}, "images": {}, "graph": None}
    for tag in acc.Tags()["tensors"]:
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        for ev in acc.Tensors(tag):
            arr = tensor_util.make_ndarray(ev.tensor_proto)
            if plugin == "scalars":
                run["scalars"].setdefault(tag, []).append([ev.step, float(arr)])
            elif plugin == "histograms":
                run["histograms"].setdefault(tag, []).append([ev.step, arr.tolist()])
            elif plugin == "text":
                run["text"].setdefault(tag, []).append([ev.step, arr.item().decode("utf-8")])
            elif plugin == "images":
                blobs = arr.tolist()
                images = [decode_png(b) for b in blobs[2:]]
                run["images"].setdefault(tag, []).append(
                    [ev.step, int(blobs[0]), int(blobs[1]), [[w, h, c, px] for (w, h, c, px) in images]]
                )
    if acc.Tags().get("graph"):
        g = acc.Graph()
        run["graph"] = [{"name": n.name, "op": n.op, "input": list(n.input)} for n in g.node]
    return run


def main():
    root = sys.argv[1]
    runs = {}
    for dirpath, _, files in sorted(os.walk(root)):
        if any("tfevents" in f for f in files):
            runs[os.path.relpath(dirpath, root)] = load_run(dirpath)
    json.dump(runs, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
