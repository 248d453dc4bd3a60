# SPDX-License-Identifier: Apache-2.0
"""Shared by the Python peers: load a TorchScript model on one thread and
score one Open Inference Protocol v2 request with it, as skiff does.

Configured from the environment (so gunicorn's app import needs no args):
  BENCH_MODEL     path to the .pt file
  BENCH_CONFIG    path to its skiff inference config (input/output names)
  BENCH_NAME      model name echoed in the response (default: file stem)
"""
import json
import os

import torch

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

_DTYPES = {"FP32": torch.float32, "FP64": torch.float64, "INT64": torch.int64,
           "INT32": torch.int32}


class OipModel:
    def __init__(self):
        path = os.environ["BENCH_MODEL"]
        with open(os.environ["BENCH_CONFIG"]) as f:
            config = json.load(f)
        self.name = os.environ.get("BENCH_NAME") or os.path.splitext(os.path.basename(path))[0]
        self.inputs = [i["name"] for i in config["inputs"]]
        self.outputs = [(o["name"], o["datatype"]) for o in config["outputs"]]
        self.module = torch.jit.load(path, map_location="cpu")
        self.module.eval()

    def infer(self, body: bytes) -> dict:
        """Parses an OIP v2 request body and returns the OIP v2 response dict.
        Raises ValueError on a malformed request."""
        request = json.loads(body)
        by_name = {}
        for tensor in request["inputs"]:
            dtype = _DTYPES.get(tensor["datatype"])
            if dtype is None:
                raise ValueError("unsupported datatype " + str(tensor["datatype"]))
            by_name[tensor["name"]] = torch.tensor(tensor["data"], dtype=dtype).reshape(
                tensor["shape"])
        args = [by_name[n] for n in self.inputs]
        with torch.inference_mode():
            result = self.module(*args)
        if isinstance(result, torch.Tensor):
            result = (result,)
        elif isinstance(result, dict):
            result = tuple(result[n] for n, _ in self.outputs)
        outputs = []
        for (name, datatype), t in zip(self.outputs, result):
            outputs.append({"name": name, "datatype": datatype, "shape": list(t.shape),
                            "data": t.reshape(-1).tolist()})
        response = {"model_name": self.name, "model_version": "1", "outputs": outputs}
        if "id" in request:
            response["id"] = request["id"]
        return response
