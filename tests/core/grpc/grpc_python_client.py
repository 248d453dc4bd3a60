#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A real gRPC client against a real skiff-server (issue 20 item 3).

The client's stubs are generated at test time, from the proto the server is
built from (core/proto/grpc_predict_v2.proto), with Debian's grpc_tools.
skiff-server runs on loopback with key auth, three versions of the
data-plane test plugin's model and a small grpc.maxMessageBytes; every RPC
of inference.GRPCInferenceService is called, ModelInfer's answers are
compared with the HTTP port's for the same input, and the refusals (no or a
wrong key, an unknown model, an oversize message, a bad shape, a full
server while it drains) carry the gRPC codes docs/protocols.md promises.

usage: grpc_python_client.py SKIFF_SERVER PLUGIN_DIR PROTO_DIR [streams|tls-reload]

With `streams`: grpc.maxConcurrentStreams enforced on one connection
(check_max_concurrent_streams); with `tls-reload`: a replaced certificate
served without a restart (check_tls_reload). Issue 20 item 3's leftovers.
"""
import hashlib
import http.client
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

KEY = "grpc-test-key-0123456789abcdef"
MAX_MESSAGE = 64 * 1024


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def http_call(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    result = (r.status, r.read())
    conn.close()
    return result


def wait_for_file(path, deadline):
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                value = int(f.read().strip() or 0)
            if value:
                return value
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise AssertionError("%s was not written in time" % path)


def launch(server, env, d, name, config):
    """Starts skiff-server with `config` in d/name; returns (proc, http port, grpc port)."""
    home = os.path.join(d, name)
    os.makedirs(home)
    config = dict(config, portFile=os.path.join(home, "port"))
    if "grpc" in config:
        config["grpc"] = dict(config["grpc"], portFile=os.path.join(home, "grpc-port"))
    path = os.path.join(home, "server.json")
    with open(path, "w") as f:
        json.dump(config, f)
    os.chmod(path, 0o600)
    proc = subprocess.Popen([server, "--config", path], env=env)
    deadline = time.monotonic() + 30
    port = wait_for_file(os.path.join(home, "port"), deadline)
    grpc_port = wait_for_file(os.path.join(home, "grpc-port"), deadline) if "grpc" in config else 0
    while http_call(port, "GET", "/v2/health/ready")[0] != 200:
        check(time.monotonic() < deadline, "%s never became ready" % name)
        time.sleep(0.02)
    return proc, port, grpc_port


def check_router(server, plugins, d, env, fp32, pb, pb_grpc, grpc):
    procs = []
    try:
        version, vport, _ = launch(server, env, d, "version", {
            "service": "vsvc", "deploymentConfig": {"authEnabled": False},
            "versions": [{"name": "v1", "artifactPath": "/dev/null",
                          "inferenceConfig": fp32}]})
        procs.append(version)
        router, _, rgrpc = launch(server, env, d, "router", {
            "service": "rsvc", "grpc": {"port": 0},
            "auth": {"options": {"workspace": "ws", "keysDir": os.path.join(d, "rkeys")},
                     "keySha256": [hashlib.sha256(KEY.encode()).hexdigest()]},
            "versions": [{"name": "v1", "inferenceConfig": fp32,
                          "upstream": "http://127.0.0.1:%d/v2/models/vsvc/infer" % vport}]})
        procs.append(router)
        stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel("127.0.0.1:%d" % rgrpc))
        req = pb.ModelInferRequest(model_name="rsvc")
        req.inputs.add(name="x", datatype="FP32", shape=[1, 4])
        req.raw_input_contents.append(struct.pack("<4f", 1.5, -2, 0.25, 8))
        got = stub.ModelInfer(req, metadata=[("authorization", "Bearer " + KEY)], timeout=10)
        check(got.model_version == "v1", "router version %r" % got.model_version)
        check(list(struct.unpack("<4f", got.raw_output_contents[0])) == [3, -4, 0.5, 16],
              "through the router: %r" % got.raw_output_contents)
        try:
            stub.ModelInfer(req, timeout=10)
            check(False, "the router took a call without a key")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.UNAUTHENTICATED, "router, no key: %s" % e.code())
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def check_sticky_key(server, env, d, fp32, pb, pb_grpc, grpc):
    """Sticky A/B by a routing key header sent as metadata: one key always
    gets the same version; different keys reach both versions of a 50/50
    split."""
    proc, _, gport = launch(server, env, d, "sticky", {
        "service": "ssvc", "grpc": {"port": 0},
        "deploymentConfig": {"authEnabled": False},
        "routing": {"keyHeader": "x-user-id", "salt": "grpc-test-salt-0123456789"},
        "versions": [
            {"name": "a", "artifactPath": "/dev/null", "trafficPercentile": 50,
             "isDefault": True, "inferenceConfig": fp32},
            {"name": "b", "artifactPath": "/dev/null", "trafficPercentile": 50,
             "inferenceConfig": fp32}]})
    try:
        stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel("127.0.0.1:%d" % gport))
        req = pb.ModelInferRequest(model_name="ssvc")
        req.inputs.add(name="x", datatype="FP32", shape=[1, 4])
        req.raw_input_contents.append(struct.pack("<4f", 1, 2, 3, 4))
        seen = set()
        for user in range(40):
            versions = {stub.ModelInfer(req, metadata=[("x-user-id", "user-%d" % user)],
                                        timeout=10).model_version for _ in range(3)}
            check(len(versions) == 1, "user-%d got %r" % (user, versions))
            seen |= versions
        check(seen == {"a", "b"}, "40 keys over a 50/50 split reached %r" % seen)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_calls_in_flight_bound(server, env, d, fp32, pb, pb_grpc, grpc):
    """grpc.maxCallsInFlight 1: while a slow call is in flight, another call
    is UNAVAILABLE naming the setting; once it is done, calls are served."""
    proc, _, gport = launch(server, env, d, "bounded", {
        "service": "bsvc", "grpc": {"port": 0, "maxCallsInFlight": 1},
        "deploymentConfig": {"authEnabled": False},
        "versions": [{"name": "v1", "artifactPath": "/dev/null", "inferenceConfig": fp32}]})
    try:
        stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel("127.0.0.1:%d" % gport))
        slow = pb.ModelInferRequest(model_name="bsvc")
        slow.inputs.add(name="x", datatype="FP32", shape=[1, 4])
        slow.raw_input_contents.append(struct.pack("<4f", -2, 0, 0, 0))  # 500 ms
        for attempt in range(10):
            done = threading.Event()
            result = {}

            def run_slow():
                try:
                    stub.ModelInfer(slow, timeout=30)
                    result["code"] = grpc.StatusCode.OK
                except grpc.RpcError as e:
                    result["code"] = e.code()
                done.set()
            worker = threading.Thread(target=run_slow)
            worker.start()
            refused = None
            while not done.is_set():
                try:
                    stub.ServerLive(pb.ServerLiveRequest(), timeout=10)
                except grpc.RpcError as e:
                    refused = e
                    break
            worker.join(30)
            check(done.is_set(), "the slow call never returned")
            if result["code"] != grpc.StatusCode.OK:
                # A probe took the one slot first: the slow call was the one
                # refused. A probe may have been refused too, by the slot of
                # the probe before it (the slot is given back at OnDone, just
                # after the answer went out). Try again.
                check(result["code"] == grpc.StatusCode.UNAVAILABLE,
                      "the slow call: %s" % result["code"])
                continue
            if refused is not None:
                check(refused.code() == grpc.StatusCode.UNAVAILABLE and
                      "maxCallsInFlight" in refused.details(),
                      "full server: %s %s" % (refused.code(), refused.details()))
                # The slot is given back when gRPC is done with the call
                # (OnDone), just after its answer went out.
                free_deadline = time.monotonic() + 10
                while True:
                    try:
                        check(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live,
                              "ServerLive")
                        return
                    except grpc.RpcError as e:
                        check(e.code() == grpc.StatusCode.UNAVAILABLE, "after: %s" % e.code())
                        check(time.monotonic() < free_deadline, "the slot was never given back")
                        time.sleep(0.01)
        check(False, "never saw the bound in 10 slow calls")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def metric(metrics_port, series):
    """The value of one exact series on the metrics listener, 0 when absent."""
    text = http_call(metrics_port, "GET", "/metrics")[1].decode()
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0


def check_max_concurrent_streams(server, env, d, fp32, pb, pb_grpc, grpc):
    """grpc.maxConcurrentStreams 2: five calls on one channel (one HTTP/2
    connection) to a model that holds each call until a gate file exists.
    At most two are in flight at the server (skiff_requests_in_flight) while
    the gate is shut; a call on a second connection does get in, so the bound
    is the per-connection SETTINGS_MAX_CONCURRENT_STREAMS, not the model's.
    Once the gate opens every call is answered and the server stays healthy."""
    gate = os.path.join(d, "streams-gate")
    artifact = os.path.join(d, "streams-artifact")
    with open(artifact, "w") as f:
        f.write("gate=%s\n" % gate)
    limit, calls = 2, 5
    config = {
        "service": "msvc", "grpc": {"port": 0, "maxConcurrentStreams": limit},
        "metricsPortFile": os.path.join(d, "streams", "metrics-port"),
        "deploymentConfig": {"authEnabled": False, "maxConcurrentRequestsPerContainer": 8},
        "versions": [{"name": "v1", "artifactPath": artifact, "inferenceConfig": fp32}]}
    proc, _, gport = launch(server, env, d, "streams", config)
    try:
        metrics_port = wait_for_file(os.path.join(d, "streams", "metrics-port"),
                                     time.monotonic() + 30)
        in_flight = 'skiff_requests_in_flight{service="msvc",version="v1"}'
        options = [("grpc.use_local_subchannel_pool", 1)]
        channel = grpc.insecure_channel("127.0.0.1:%d" % gport, options=options)
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        # The connection is up and the server's SETTINGS are in before the
        # calls go out (until then a client may assume no limit).
        check(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live, "ServerLive")
        req = pb.ModelInferRequest(model_name="msvc")
        req.inputs.add(name="x", datatype="FP32", shape=[1, 4])
        req.raw_input_contents.append(struct.pack("<4f", 1, 2, 3, 4))
        futures = [stub.ModelInfer.future(req, timeout=60) for _ in range(calls)]
        deadline = time.monotonic() + 20
        while metric(metrics_port, in_flight) < limit:
            check(time.monotonic() < deadline, "the first %d calls never reached the model" % limit)
            time.sleep(0.01)
        # The gate is shut, so nothing leaves; the calls past the limit wait
        # in the client for a stream. Read the gauge a while: never above it.
        seen = [metric(metrics_port, in_flight) for _ in range(50)]
        check(max(seen) == limit, "in flight on one connection: %r (limit %d)" % (seen, limit))
        check(not any(f.done() for f in futures), "a call finished with the gate shut")
        # Another connection gets a stream of its own: the server had room.
        other = grpc.insecure_channel("127.0.0.1:%d" % gport, options=options)
        extra = pb_grpc.GRPCInferenceServiceStub(other).ModelInfer.future(req, timeout=60)
        while metric(metrics_port, in_flight) < limit + 1:
            check(time.monotonic() < deadline, "a second connection's call never got in")
            time.sleep(0.01)
        with open(gate, "w"):
            pass
        for f in futures + [extra]:
            got = f.result(timeout=60)
            check(list(struct.unpack("<4f", got.raw_output_contents[0])) == [2, 4, 6, 8],
                  "answer after the gate opened: %r" % got.raw_output_contents)
        check(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live, "ServerLive after")
        check(metric(metrics_port, 'skiff_requests_total{service="msvc",version="v1",'
                                   'code="200",protocol="grpc"}') == calls + 1,
              "every call counted once under protocol=\"grpc\"")
        channel.close()
        other.close()
    finally:
        stop(proc)


def make_certificate(d, name):
    """A self-signed P-256 certificate for localhost and 127.0.0.1: (cert, key) paths."""
    cert, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    subprocess.check_call(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + name,
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def check_tls_reload(server, env, d, fp32, pb, pb_grpc, grpc):
    """tls with grpc: the certificate files are replaced while the server
    runs; within tls.reloadCheckMs (1 s here) plus gRPC's 1 s re-read a new
    connection is served the new certificate (a client trusting only it
    connects; one trusting only the old one no longer does), with no restart.
    A key that is not the certificate's is refused and the pair kept."""
    old_cert, old_key = make_certificate(d, "old")
    new_cert, new_key = make_certificate(d, "new")
    live_cert, live_key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
    for src, dst in ((old_cert, live_cert), (old_key, live_key)):
        with open(src, "rb") as f, open(dst + ".tmp", "wb") as g:
            g.write(f.read())
        os.chmod(dst + ".tmp", 0o600)
        os.replace(dst + ".tmp", dst)
    home = os.path.join(d, "tls")
    os.makedirs(home)
    config = {
        "service": "tsvc", "portFile": os.path.join(home, "port"),
        "grpc": {"port": 0, "portFile": os.path.join(home, "grpc-port")},
        "tls": {"certFile": live_cert, "keyFile": live_key, "reloadCheckMs": 1000},
        "deploymentConfig": {"authEnabled": False},
        "versions": [{"name": "v1", "artifactPath": "/dev/null", "inferenceConfig": fp32}]}
    path = os.path.join(home, "server.json")
    with open(path, "w") as f:
        json.dump(config, f)
    os.chmod(path, 0o600)
    proc = subprocess.Popen([server, "--config", path], env=env, stderr=subprocess.PIPE)
    log = []

    def read_log():
        for line in proc.stderr:
            line = line.decode(errors="replace")
            sys.stderr.write(line)
            log.append(line)
    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        gport = wait_for_file(os.path.join(home, "grpc-port"), deadline)

        def live_with(root):
            """ServerLive on a fresh connection trusting only `root`: True or the error code."""
            with open(root, "rb") as f:
                credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
            channel = grpc.secure_channel(
                "127.0.0.1:%d" % gport, credentials,
                options=[("grpc.use_local_subchannel_pool", 1),
                         ("grpc.ssl_target_name_override", "localhost")])
            try:
                return pb_grpc.GRPCInferenceServiceStub(channel).ServerLive(
                    pb.ServerLiveRequest(), timeout=5).live
            except grpc.RpcError as e:
                return e.code()
            finally:
                channel.close()

        while live_with(old_cert) is not True:
            check(time.monotonic() < deadline, "the old certificate was never served")
            time.sleep(0.05)
        check(live_with(new_cert) is not True, "a client trusting only the new certificate "
              "connected before it was installed")
        # Replace the pair as a deployment would: each file renamed into place.
        for src, dst in ((new_key, live_key), (new_cert, live_cert)):
            with open(src, "rb") as f, open(dst + ".tmp", "wb") as g:
                g.write(f.read())
            os.chmod(dst + ".tmp", 0o600)
            os.replace(dst + ".tmp", dst)
        swapped = time.monotonic()
        deadline = swapped + 15
        while live_with(new_cert) is not True:
            check(time.monotonic() < deadline,
                  "the new certificate was not served within 15 s of the swap")
            time.sleep(0.1)
        print("gRPC served the new certificate %.1f s after the swap" % (time.monotonic() - swapped))
        check(live_with(old_cert) is not True, "the old certificate is still served")
        # A key of another certificate (a half-updated Secret) is refused and
        # logged; gRPC keeps serving the pair it has (gRPC's own watcher,
        # reading the files themselves, would install it and refuse every
        # handshake). Checked over a few of gRPC's 1 s re-reads.
        with open(old_key, "rb") as f, open(live_key + ".tmp", "wb") as g:
            g.write(f.read())
        os.chmod(live_key + ".tmp", 0o600)
        os.replace(live_key + ".tmp", live_key)
        deadline = time.monotonic() + 15
        while not any("gRPC: TLS:" in line and "previous certificate" in line for line in log):
            check(time.monotonic() < deadline, "the mismatched pair was never refused")
            time.sleep(0.05)
        hold = time.monotonic() + 3
        while time.monotonic() < hold:
            check(live_with(new_cert) is True, "a mismatched pair broke gRPC's TLS")
            time.sleep(0.2)
    finally:
        stop(proc)


def main():
    server, plugins, proto_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    only = sys.argv[4] if len(sys.argv) > 4 else ""
    with tempfile.TemporaryDirectory(prefix="skiff-grpc-py-") as d:
        # The client, generated from the same proto as the server.
        subprocess.check_call([sys.executable, "-m", "grpc_tools.protoc", "-I" + proto_dir,
                               "--python_out=" + d, "--grpc_python_out=" + d,
                               os.path.join(proto_dir, "grpc_predict_v2.proto")])
        sys.path.insert(0, d)
        import grpc
        import grpc_predict_v2_pb2 as pb
        import grpc_predict_v2_pb2_grpc as pb_grpc

        fp32 = {"accelerator": "testmodel",
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
                "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 4]}]}
        echo = {"accelerator": "testmodel",
                "inputs": [{"name": "ids", "datatype": "INT64", "shape": [-1]},
                           {"name": "text", "datatype": "BYTES", "shape": [-1]}],
                "outputs": [{"name": "ids_out", "datatype": "INT64", "shape": [-1]},
                            {"name": "text_out", "datatype": "BYTES", "shape": [-1]}]}
        config = {
            "service": "gsvc",
            "portFile": os.path.join(d, "port"),
            "metricsPortFile": os.path.join(d, "metrics-port"),
            "grpc": {"port": 0, "portFile": os.path.join(d, "grpc-port"),
                     "maxMessageBytes": MAX_MESSAGE},
            "drainGraceMs": 10000,
            "auth": {"options": {"workspace": "ws", "keysDir": os.path.join(d, "keys")},
                     "keySha256": [hashlib.sha256(KEY.encode()).hexdigest()]},
            "versions": [
                {"name": "blue", "artifactPath": "/dev/null", "trafficPercentile": 100,
                 "isDefault": True, "inferenceConfig": fp32},
                {"name": "green", "artifactPath": "/dev/null", "trafficPercentile": 0,
                 "inferenceConfig": fp32},
                {"name": "echo", "artifactPath": "/dev/null", "trafficPercentile": 0,
                 "inferenceConfig": echo},
            ],
        }
        env = dict(os.environ, SKIFF_PLUGIN_PATH=plugins)
        if only == "streams":
            check_max_concurrent_streams(server, env, d, fp32, pb, pb_grpc, grpc)
            print("ok: grpc.maxConcurrentStreams holds on one connection")
            return
        if only == "tls-reload":
            check_tls_reload(server, env, d, fp32, pb, pb_grpc, grpc)
            print("ok: gRPC serves a replaced certificate without a restart")
            return
        path = os.path.join(d, "server.json")
        with open(path, "w") as f:
            json.dump(config, f)
        os.chmod(path, 0o600)
        proc = subprocess.Popen([server, "--config", path], env=env)
        try:
            deadline = time.monotonic() + 30
            port = wait_for_file(os.path.join(d, "port"), deadline)
            grpc_port = wait_for_file(os.path.join(d, "grpc-port"), deadline)
            metrics_port = wait_for_file(os.path.join(d, "metrics-port"), deadline)
            channel = grpc.insecure_channel("127.0.0.1:%d" % grpc_port)
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            auth = [("authorization", "Bearer " + KEY)]

            # Health and metadata (no credential, as on the HTTP port).
            check(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live, "ServerLive")
            while not stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready:
                check(time.monotonic() < deadline, "ServerReady never turned true")
                time.sleep(0.02)
            meta = stub.ServerMetadata(pb.ServerMetadataRequest(), timeout=10)
            check(meta.name == "skiff" and meta.version, "ServerMetadata: %r" % meta)
            check(stub.ModelReady(pb.ModelReadyRequest(name="gsvc"), timeout=10).ready,
                  "ModelReady gsvc")
            check(stub.ModelReady(pb.ModelReadyRequest(name="gsvc", version="green"),
                                  timeout=10).ready, "ModelReady gsvc/green")
            mm = stub.ModelMetadata(pb.ModelMetadataRequest(name="gsvc"), timeout=10)
            check(mm.name == "gsvc" and set(mm.versions) == {"blue", "green", "echo"},
                  "ModelMetadata: %r" % mm)
            check([(t.name, t.datatype, list(t.shape)) for t in mm.inputs] ==
                  [("x", "FP32", [-1, 4])], "ModelMetadata inputs: %r" % mm.inputs)
            status, http_meta = http_call(port, "GET", "/v2/models/gsvc")
            check(json.loads(http_meta)["platform"] == mm.platform, "platform differs from HTTP")

            # ModelInfer, raw FP32, against the HTTP answer for the same input.
            x = [1.5, -2.0, 3.25, 0.0, 4.0, 5.5, -6.0, 7.0]
            req = pb.ModelInferRequest(model_name="gsvc", id="req-1")
            t = req.inputs.add(name="x", datatype="FP32", shape=[2, 4])
            req.raw_input_contents.append(struct.pack("<8f", *x))
            got = stub.ModelInfer(req, metadata=auth, timeout=10)
            check(got.model_name == "gsvc" and got.model_version == "blue" and got.id == "req-1",
                  "ModelInfer header: %r" % got)
            check([(o.name, o.datatype, list(o.shape)) for o in got.outputs] ==
                  [("y", "FP32", [2, 4])], "outputs %r" % got.outputs)
            y = list(struct.unpack("<8f", got.raw_output_contents[0]))
            status, body = http_call(port, "POST", "/v2/models/gsvc/infer", json.dumps(
                {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 4], "data": x}]}),
                {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
            check(status == 200, "HTTP infer: %d %r" % (status, body))
            check(y == json.loads(body)["outputs"][0]["data"], "gRPC %r != HTTP %r" % (y, body))

            # The typed contents field gives the same answer.
            typed = pb.ModelInferRequest(model_name="gsvc")
            typed.inputs.add(name="x", datatype="FP32", shape=[2, 4]).contents.fp32_contents \
                .extend(x)
            got = stub.ModelInfer(typed, metadata=auth, timeout=10)
            check(list(struct.unpack("<8f", got.raw_output_contents[0])) == y, "typed contents")

            # INT64 and BYTES (raw, BYTES length-prefixed) to the "echo" model.
            ids, text = [-(2 ** 63), 0, 2 ** 63 - 1], [b"hello", b"\xff\x00 bytes", b""]
            req = pb.ModelInferRequest(model_name="echo")
            req.inputs.add(name="ids", datatype="INT64", shape=[3])
            req.inputs.add(name="text", datatype="BYTES", shape=[3])
            req.raw_input_contents.append(struct.pack("<3q", *ids))
            req.raw_input_contents.append(b"".join(struct.pack("<I", len(s)) + s for s in text))
            got = stub.ModelInfer(req, metadata=auth, timeout=10)
            check(got.model_version == "echo", "echo version %r" % got.model_version)
            check(list(struct.unpack("<3q", got.raw_output_contents[0])) == ids, "INT64 echo")
            check(got.raw_output_contents[1] == req.raw_input_contents[1], "BYTES echo")
            status, body = http_call(port, "POST", "/v2/models/echo/infer", json.dumps(
                {"inputs": [{"name": "ids", "datatype": "INT64", "shape": [3], "data": ids},
                            {"name": "text", "datatype": "BYTES", "shape": [3],
                             "data": ["hello", "x", ""]}]}),
                {"Authorization": "Bearer " + KEY})
            check(status == 200 and json.loads(body)["outputs"][0]["data"] == ids,
                  "HTTP echo: %d %r" % (status, body))

            # Pinning: the azureml-model-deployment metadata, and model_version.
            req = pb.ModelInferRequest(model_name="gsvc")
            req.inputs.add(name="x", datatype="FP32", shape=[1, 4])
            req.raw_input_contents.append(struct.pack("<4f", 1, 2, 3, 4))
            for _ in range(5):
                got = stub.ModelInfer(req, metadata=auth + [("azureml-model-deployment", "green")],
                                      timeout=10)
                check(got.model_version == "green", "pinned by metadata: %r" % got.model_version)
            req.model_version = "green"
            check(stub.ModelInfer(req, metadata=auth, timeout=10).model_version == "green",
                  "pinned by model_version")
            req.model_version = ""

            def code_of(call):
                try:
                    call()
                except grpc.RpcError as e:
                    return e.code(), e.details()
                return grpc.StatusCode.OK, ""

            # Refusals and their codes.
            code, details = code_of(lambda: stub.ModelInfer(req, timeout=10))
            check(code == grpc.StatusCode.UNAUTHENTICATED, "no key: %s %s" % (code, details))
            code, details = code_of(lambda: stub.ModelInfer(
                req, metadata=[("authorization", "Bearer wrong-key")], timeout=10))
            check(code == grpc.StatusCode.UNAUTHENTICATED, "wrong key: %s %s" % (code, details))
            # The credential is checked before the message is read: bytes
            # that are no ModelInferRequest at all, sent without a valid
            # key, are UNAUTHENTICATED (not INVALID_ARGUMENT); with the key
            # they are INVALID_ARGUMENT.
            raw_infer = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer")
            garbage = b"\xff\xff\xff\xff not a protobuf message"
            code, details = code_of(lambda: raw_infer(
                garbage, metadata=[("authorization", "Bearer wrong-key")], timeout=10))
            check(code == grpc.StatusCode.UNAUTHENTICATED, "garbage, wrong key: %s" % code)
            code, details = code_of(lambda: raw_infer(garbage, metadata=auth, timeout=10))
            check(code == grpc.StatusCode.INVALID_ARGUMENT, "garbage, key: %s %s" % (code, details))
            missing = pb.ModelInferRequest()
            missing.CopyFrom(req)
            missing.model_name = "nope"
            code, details = code_of(lambda: stub.ModelInfer(missing, metadata=auth, timeout=10))
            check(code == grpc.StatusCode.NOT_FOUND and "nope" in details,
                  "unknown model: %s %s" % (code, details))
            code, details = code_of(lambda: stub.ModelMetadata(
                pb.ModelMetadataRequest(name="nope"), timeout=10))
            check(code == grpc.StatusCode.NOT_FOUND, "unknown model metadata: %s" % code)
            big = pb.ModelInferRequest(model_name="gsvc")
            big.inputs.add(name="x", datatype="FP32", shape=[MAX_MESSAGE // 16 + 1, 4])
            big.raw_input_contents.append(b"\0" * ((MAX_MESSAGE // 16 + 1) * 16))
            code, details = code_of(lambda: stub.ModelInfer(big, metadata=auth, timeout=10))
            check(code == grpc.StatusCode.RESOURCE_EXHAUSTED, "oversize: %s %s" % (code, details))
            bad = pb.ModelInferRequest(model_name="gsvc")
            bad.inputs.add(name="x", datatype="FP32", shape=[1, 3])
            bad.raw_input_contents.append(struct.pack("<3f", 1, 2, 3))
            code, details = code_of(lambda: stub.ModelInfer(bad, metadata=auth, timeout=10))
            check(code == grpc.StatusCode.INVALID_ARGUMENT and "x" in details,
                  "bad shape: %s %s" % (code, details))
            check("/" not in details.replace("/v2", ""), "a path in %r" % details)
            failing = pb.ModelInferRequest(model_name="gsvc")
            failing.inputs.add(name="x", datatype="FP32", shape=[1, 4])
            failing.raw_input_contents.append(struct.pack("<4f", -5, 0, 0, 0))
            code, details = code_of(lambda: stub.ModelInfer(failing, metadata=auth, timeout=10))
            check(code == grpc.StatusCode.INTERNAL, "model error: %s %s" % (code, details))
            check("/work" not in details and "torch_model.cc" in details,
                  "server paths must be cut: %r" % details)

            # The same metrics: the per-version series count gRPC calls, and
            # skiff_grpc_requests_total splits them by method and code.
            status, text = http_call(metrics_port, "GET", "/metrics")
            text = text.decode()
            check('skiff_grpc_requests_total{method="ModelInfer",code="OK"}' in text,
                  "no gRPC series in /metrics")
            check('skiff_grpc_requests_total{method="ModelInfer",code="UNAUTHENTICATED"}' in text,
                  "no UNAUTHENTICATED series")
            check('version="green"' in text, "no per-version series for green")
            # One query splits the protocols: the gRPC calls above count
            # under protocol="grpc", the HTTP comparisons under "http".
            check('skiff_requests_total{service="gsvc",version="blue",code="200",'
                  'protocol="grpc"}' in text, "no protocol=\"grpc\" series")
            check('skiff_requests_total{service="gsvc",version="blue",code="200",'
                  'protocol="http"}' in text, "no protocol=\"http\" series")

            # Through a router (the Kubernetes shape): gRPC to the router,
            # its upstream hop to a version server over HTTP, binary tensors.
            check_router(server, plugins, d, env, fp32, pb, pb_grpc, grpc)
            check_calls_in_flight_bound(server, env, d, fp32, pb, pb_grpc, grpc)
            check_sticky_key(server, env, d, fp32, pb, pb_grpc, grpc)

            # Drain: a slow call in flight finishes; a new one is UNAVAILABLE.
            slow = pb.ModelInferRequest(model_name="gsvc")
            slow.inputs.add(name="x", datatype="FP32", shape=[1, 4])
            slow.raw_input_contents.append(struct.pack("<4f", -2, 0, 0, 0))
            result = {}

            def run_slow():
                result["slow"] = code_of(lambda: stub.ModelInfer(slow, metadata=auth,
                                                                 timeout=30))
            worker = threading.Thread(target=run_slow)
            worker.start()
            inflight_deadline = time.monotonic() + 10
            while "skiff_requests_in_flight" not in text or \
                    'skiff_requests_in_flight{service="gsvc",version="blue"} 1' not in text:
                check(time.monotonic() < inflight_deadline, "the slow call never started")
                text = http_call(metrics_port, "GET", "/metrics")[1].decode()
            proc.send_signal(signal.SIGTERM)
            # Until the signal lands a call may still be served; from then on
            # every new call is UNAVAILABLE (the data plane's 503, or gRPC's
            # own refusal once the listener stops).
            fresh = grpc.insecure_channel("127.0.0.1:%d" % grpc_port)
            fresh_stub = pb_grpc.GRPCInferenceServiceStub(fresh)
            drain_deadline = time.monotonic() + 10
            while True:
                code, details = code_of(lambda: fresh_stub.ModelInfer(req, metadata=auth,
                                                                       timeout=10))
                if code == grpc.StatusCode.UNAVAILABLE:
                    break
                check(code == grpc.StatusCode.OK, "while draining: %s %s" % (code, details))
                check(time.monotonic() < drain_deadline, "never UNAVAILABLE while draining")
            code, _ = code_of(lambda: check(
                not fresh_stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready,
                "ServerReady while draining"))
            # OK (and not ready) while draining; once the slow call is done
            # the server exits, and a probe then is refused or cancelled.
            check(code in (grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE,
                           grpc.StatusCode.CANCELLED),
                  "ServerReady while draining: %s" % code)
            worker.join(30)
            check(result.get("slow", (None,))[0] == grpc.StatusCode.OK,
                  "the call in flight did not finish: %r" % (result,))
            check(proc.wait(timeout=30) == 0, "skiff-server did not drain to exit 0")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print("ok: KServe v2 gRPC from a generated Python client")


if __name__ == "__main__":
    main()
