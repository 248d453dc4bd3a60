#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generates the TorchScript fixture models used by skiff's accel-gpu tests.

Run with Debian's python3-torch (no network, CPU only):

    /usr/bin/python3 scripts/make_fixtures.py [out_dir]

Writes, for each model NAME, into tests/fixtures/models/ (or out_dir):
  NAME.pt             the TorchScript module (fixed seeds, a few KB)
  NAME.json           its skiff inference config (accelerator, device, signature)
  NAME.expected.json  a fixed input and the outputs Python computes for it, so the
                      C++ tests compare numerics against PyTorch's.
mlp.pt is also the bundled sample model the quickstart deploys.
"""
import json
import os
import sys
from typing import Dict, Tuple

import torch
import torch.nn as nn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "models")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=5, stride=3)  # -> [4, 8, 8]
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return self.fc(torch.flatten(y, 1))


class TwoIo(nn.Module):
    """Two inputs of different dtypes, a tuple of two outputs."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, a, b) -> Tuple[torch.Tensor, torch.Tensor]:
        # a: FP32 [-1, 3], b: INT64 [-1, 2]
        s = self.fc(a)
        return s, (b * 2 + 1)


class DictOut(nn.Module):
    """A dict output, keyed by the signature's output names (in reverse order
    on purpose: the plugin maps dict outputs by name, not by position)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x) -> Dict[str, torch.Tensor]:
        logits = self.fc(x)
        return {"probs": torch.softmax(logits, dim=1), "logits": logits}


class Identity(nn.Module):
    """Returns a copy of its input; works for every dtype (dtype round-trips)."""

    def forward(self, x):
        return x.clone()


def spec(name, dtype, shape):
    return {"name": name, "datatype": dtype, "shape": shape}


def tensor_json(t):
    return {"shape": list(t.shape), "data": [v.item() if hasattr(v, "item") else v
                                             for v in t.flatten().tolist()]}


def emit(name, module, inputs, outputs, example):
    """inputs/outputs: lists of spec(); example: list of input tensors."""
    scripted = torch.jit.script(module.eval())
    path = os.path.join(OUT, name + ".pt")
    scripted.save(path)
    config = {"accelerator": "torch", "device": "auto", "inputs": inputs, "outputs": outputs}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    expected = {"inputs": {}, "outputs": {}}
    for s, t in zip(inputs, example):
        expected["inputs"][s["name"]] = tensor_json(t)
    if name == "identity":
        return
    with torch.no_grad():
        result = scripted(*example)
    if isinstance(result, dict):
        got = [result[s["name"]] for s in outputs]
    elif isinstance(result, (tuple, list)):
        got = list(result)
    else:
        got = [result]
    for s, t in zip(outputs, got):
        expected["outputs"][s["name"]] = tensor_json(t)
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(1234)
    emit("mlp", Mlp(), [spec("input", "FP32", [-1, 4])], [spec("output", "FP32", [-1, 3])],
         [torch.randn(2, 4)])
    emit("cnn", Cnn(), [spec("input", "FP32", [-1, 1, 28, 28])],
         [spec("output", "FP32", [-1, 10])], [torch.randn(2, 1, 28, 28)])
    emit("two_io", TwoIo(), [spec("a", "FP32", [-1, 3]), spec("b", "INT64", [-1, 2])],
         [spec("score", "FP32", [-1, 2]), spec("doubled", "INT64", [-1, 2])],
         [torch.randn(3, 3), torch.arange(6, dtype=torch.int64).reshape(3, 2)])
    emit("dict_out", DictOut(), [spec("x", "FP32", [-1, 4])],
         [spec("logits", "FP32", [-1, 2]), spec("probs", "FP32", [-1, 2])],
         [torch.randn(2, 4)])
    # The signature of identity.pt is chosen per test (one per dtype).
    emit("identity", Identity(), [spec("x", "FP32", [-1, 2])], [spec("y", "FP32", [-1, 2])],
         [torch.zeros(1, 2)])


if __name__ == "__main__":
    main()
