#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes tests/fixtures/models/mlp_neg.pt: mlp.pt with its last layer negated,
so it answers exactly -mlp(x). Same signature (input FP32 [-1, 4], output FP32
[-1, 3]), different answers: the shadow-traffic tests compare it with mlp.pt
(every argmax disagrees, max |diff| = 2 * max |mlp(x)|).

Standard library only (no torch): a TorchScript file is a zip archive whose
tensors are raw little-endian storages; fc2's weight is mlp/data/2 (3 x 16
floats) and its bias mlp/data/3 (3 floats), per mlp/data.pkl.

    /usr/bin/python3 scripts/make_negated_mlp.py
"""
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "tests", "fixtures", "models")
NEGATED = {"mlp/data/2": 48, "mlp/data/3": 3}


def negate(data: bytes, count: int) -> bytes:
    values = struct.unpack("<%df" % count, data)
    return struct.pack("<%df" % count, *[-v for v in values])


def main() -> None:
    src = os.path.join(MODELS, "mlp.pt")
    dst = os.path.join(MODELS, "mlp_neg.pt")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in NEGATED:
                assert len(data) == 4 * NEGATED[info.filename], info.filename
                data = negate(data, NEGATED[info.filename])
            out = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_STORED
            zout.writestr(out, data)
    print("wrote", dst)


if __name__ == "__main__":
    main()
