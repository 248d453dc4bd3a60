#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Python OIP client against a real skiff-server (issue 20), standard library only.

tritonclient is not packaged for Debian, so this encodes requests the way its
HTTP client and KServe's do by default, from the spec (Triton's
docs/protocol/extension_binary_data.md): the JSON header, then each input's
bytes (little-endian, BYTES as 4-byte length + bytes), with
Inference-Header-Content-Length, and binary outputs asked for. It starts
skiff-server on loopback with the data-plane test plugin's echo model and
checks the answers, then the same tensors as plain JSON.

usage: oip_python_client.py SKIFF_SERVER PLUGIN_DIR
"""
import http.client
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

# name -> (datatype, struct format or None for BYTES, values)
TENSORS = [
    ("in_BYTES", "BYTES", None, [b"hello", b"\xff\x00 not utf-8", b""]),
    ("in_INT16", "INT16", "h", [-32768, 7, 32767]),
    ("in_UINT32", "UINT32", "I", [0, 1, 4294967295]),
    ("in_UINT64", "UINT64", "Q", [18446744073709551615, 0, 42]),
]


def encode(datatype, fmt, values):
    if datatype == "BYTES":
        return b"".join(struct.pack("<I", len(v)) + v for v in values)
    return struct.pack("<%d%s" % (len(values), fmt), *values)


def decode(datatype, fmt, raw):
    if datatype == "BYTES":
        out, at = [], 0
        while at < len(raw):
            (n,) = struct.unpack_from("<I", raw, at)
            out.append(raw[at + 4:at + 4 + n])
            at += 4 + n
        return out
    return list(struct.unpack("<%d%s" % (len(raw) // struct.calcsize(fmt), fmt), raw))


def post(port, path, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    result = (r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    conn.close()
    return result


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    r = conn.getresponse()
    result = (r.status, r.read())
    conn.close()
    return result


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main():
    server, plugins = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="skiff-oip-py-") as d:
        model = {
            "accelerator": "testmodel",
            "inputs": [{"name": n, "datatype": t, "shape": [-1]} for n, t, _, _ in TENSORS],
            "outputs": [{"name": "out" + n[2:], "datatype": t, "shape": [-1]}
                        for n, t, _, _ in TENSORS],
        }
        config = {
            "service": "py",
            "portFile": os.path.join(d, "port"),
            "deploymentConfig": {"authEnabled": False},
            "versions": [{"name": "v1", "artifactPath": "/dev/null", "inferenceConfig": model}],
        }
        path = os.path.join(d, "server.json")
        with open(path, "w") as f:
            json.dump(config, f)
        os.chmod(path, 0o600)
        env = dict(os.environ, SKIFF_PLUGIN_PATH=plugins)
        proc = subprocess.Popen([server, "--config", path], env=env)
        try:
            deadline = time.monotonic() + 30
            port = 0
            while time.monotonic() < deadline:
                try:
                    with open(os.path.join(d, "port")) as f:
                        port = int(f.read().strip() or 0)
                    if port and get(port, "/v2/health/ready")[0] == 200:
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.02)
            check(port, "skiff-server did not become ready in 30 s")

            status, meta = get(port, "/v2")
            check(status == 200 and "binary_tensor_data" in json.loads(meta)["extensions"],
                  "GET /v2 does not list binary_tensor_data: %r" % meta)

            # Binary, as tritonclient sends it by default.
            header = {"inputs": [], "parameters": {"binary_data_output": True}}
            tail = b""
            for name, datatype, fmt, values in TENSORS:
                raw = encode(datatype, fmt, values)
                header["inputs"].append({"name": name, "shape": [len(values)],
                                         "datatype": datatype,
                                         "parameters": {"binary_data_size": len(raw)}})
                tail += raw
            head = json.dumps(header).encode()
            for route in ("/v2/models/py/infer", "/v2/models/py/versions/v1/infer"):
                status, headers, body = post(port, route, head + tail, {
                    "Content-Type": "application/octet-stream",
                    "Inference-Header-Content-Length": str(len(head))})
                check(status == 200, "%s: %d %r" % (route, status, body[:300]))
                check(headers.get("content-type") == "application/octet-stream",
                      "content-type %r" % headers.get("content-type"))
                n = int(headers["inference-header-content-length"])
                answer = json.loads(body[:n])
                at = n
                for out, (name, datatype, fmt, values) in zip(answer["outputs"], TENSORS):
                    size = out["parameters"]["binary_data_size"]
                    got = decode(datatype, fmt, body[at:at + size])
                    at += size
                    check(out["datatype"] == datatype and got == values,
                          "%s: %s came back as %r" % (route, name, got))
                check(at == len(body), "%d bytes left over" % (len(body) - at))

            # Plain JSON (BYTES as strings): the same model, the same answer.
            inputs = [{"name": n, "shape": [len(v)], "datatype": t,
                       "data": [x.decode("latin-1") for x in v] if t == "BYTES" else v}
                      for n, t, _, v in TENSORS if t != "BYTES"]
            inputs.insert(0, {"name": "in_BYTES", "shape": [2], "datatype": "BYTES",
                              "data": ["hello", "wörld"]})
            status, _, body = post(port, "/v2/models/py/infer", json.dumps({"inputs": inputs}),
                                   {"Content-Type": "application/json"})
            check(status == 200, "json: %d %r" % (status, body[:300]))
            outs = json.loads(body)["outputs"]
            check(outs[0]["data"] == ["hello", "wörld"], "BYTES in JSON: %r" % outs[0])
            check(outs[3]["data"] == TENSORS[3][3], "UINT64 in JSON: %r" % outs[3])

            # A client mistake is a 400 naming the header.
            status, _, body = post(port, "/v2/models/py/infer", head + tail, {
                "Inference-Header-Content-Length": "-1"})
            check(status == 400 and b"Inference-Header-Content-Length" in body,
                  "negative header: %d %r" % (status, body))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print("ok: binary and JSON OIP requests from a stdlib Python client")


if __name__ == "__main__":
    main()
