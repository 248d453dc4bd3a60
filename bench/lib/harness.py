#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""skiff vs peers on one machine: the measuring half of bench/run.sh.

run.sh installs packages and builds; this script deploys, starts every server
pinned to core 0, drives it with wrk pinned to core 1, and prints one table
(also written to bench/results/latest.md). See bench/README.md.

Every process it starts is recorded in $BENCH_PIDFILE (one pid a line) so
run.sh's EXIT trap can kill what an interrupted run leaves; it also stops
them itself as it goes and on exit.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# SKIFF_BENCH_BUILD: another build folder (e.g. a baseline checkout's build/) to measure.
BIN = os.path.join(os.environ.get("SKIFF_BENCH_BUILD", os.path.join(REPO, "build")), "bin")
SKIFF = os.path.join(BIN, "skiff")
SERVER = os.path.join(BIN, "skiff-server")
FIXTURES = os.path.join(REPO, "tests", "fixtures", "models")
POST_LUA = os.path.join(REPO, "bench", "wrk", "post.lua")
PEERS = os.path.join(REPO, "bench", "peers")
PY = "/usr/bin/python3"  # Debian's, which has python3-torch / fastapi / flask
SERVER_CORE = "0"
CLIENT_CORE = "1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

MLP_BODY = '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[0.1,0.2,0.3,0.4]}]}'
SCORE_BODY = '{"data": [[0.1, 0.2, 0.3, 0.4]]}'
# What nginx returns: the shape of skiff's answer to MLP_BODY.
NGINX_RESPONSE = ('{"model_name":"mlp","model_version":"1","outputs":[{"name":"output",'
                  '"datatype":"FP32","shape":[1,3],"data":[0.2003,-0.1357,-0.0413]}]}')


def binary_body(shape, floats):
    """An OIP request with the binary tensor extension (as tritonclient sends it):
    a JSON header naming the input's byte size, then the little-endian FP32
    bytes. Returns (body bytes, headers); outputs come back as JSON."""
    import struct
    raw = struct.pack("<%df" % len(floats), *floats)
    header = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": list(shape),
                                     "parameters": {"binary_data_size": len(raw)}}]},
                        separators=(",", ":")).encode()
    return header + raw, {"Content-Type": "application/octet-stream",
                          "Inference-Header-Content-Length": str(len(header))}


MLP_BINARY_BODY, MLP_BINARY_HEADERS = binary_body([1, 4], [0.1, 0.2, 0.3, 0.4])
# wrk at c=1024 needs more descriptors than the common soft limit of 1024.
C1024 = 1024


def log(msg):
    print("[bench] " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

class Procs:
    """Started processes; each pid is appended to the pid file for run.sh."""

    def __init__(self, pidfile):
        self.pidfile = pidfile
        self.live = []

    def start(self, argv, log_path, env=None, cwd=None):
        out = open(log_path, "ab")
        p = subprocess.Popen(["taskset", "-c", SERVER_CORE] + argv, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=env, cwd=cwd, start_new_session=True)
        out.close()
        with open(self.pidfile, "a") as f:
            f.write("%d\n" % p.pid)
        self.live.append(p)
        return p

    def stop(self, p, grace=10.0):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(5)
        if p in self.live:
            self.live.remove(p)

    def stop_all(self):
        for p in list(self.live):
            self.stop(p, grace=5.0)


def tree(pid):
    """pid and all its descendants."""
    out = [pid]
    i = 0
    while i < len(out):
        try:
            with open("/proc/%d/task/%d/children" % (out[i], out[i])) as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
        i += 1
    return out


def pin_tree(pid):
    """taskset -a -p -c 0 on the process and every descendant (all threads)."""
    for p in tree(pid):
        subprocess.run(["taskset", "-a", "-p", "-c", SERVER_CORE, str(p)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_ticks(pid):
    """utime + stime (clock ticks) of the process tree; /proc/PID/stat sums all threads."""
    total = 0
    for p in tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # fields 14, 15 of stat(5)
        except OSError:
            pass
    return total


def vm_hwm_kb(pid):
    """Peak RSS (VmHWM), summed over the process tree."""
    total = 0
    for p in tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                m = re.search(r"^VmHWM:\s+(\d+)", f.read(), re.M)
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def post(port, path, body, headers, timeout=2.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Content-Type": "application/json"}
        h.update(headers)
        c.request("POST", path, body=body if isinstance(body, bytes) else body.encode(), headers=h)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_first_200(proc, port, path, body, headers, t0, timeout=120.0):
    """Polls the scoring route until it answers 200; returns ms since t0."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with status %s before its first 200" % proc.returncode)
        try:
            status, data = post(port, path, body, headers, timeout=5.0)
            if status == 200:
                return (time.monotonic() - t0) * 1000.0, data
            last = "HTTP %d %s" % (status, data[:200])
        except OSError as e:
            last = str(e)
        time.sleep(0.002)
    raise RuntimeError("no 200 within %.0f s: %s" % (timeout, last))


# ---------------------------------------------------------------- wrk

def raise_nofile():
    """`ulimit -n` up to the hard limit (at most 65536) in wrk's process, so it
    can hold c=1024 connections under a soft limit of 1024."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def wrk(port, path, body_file, headers, connections, duration):
    argv = ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", "-c%d" % connections,
            "-d%gs" % duration, "--timeout", "10s", "--latency", "-s", POST_LUA,
            "http://127.0.0.1:%d%s" % (port, path), "--", body_file]
    argv += ["%s: %s" % kv for kv in headers.items()]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60,
                       preexec_fn=raise_nofile if connections > 512 else None)
    m = re.search(r"^WRKRESULT (.*)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError("wrk failed (%d): %s %s" % (r.returncode, r.stdout[-500:], r.stderr[-500:]))
    res = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    res["errors"] = sum(res[k] for k in ("non2xx", "connect", "read", "write", "timeout"))
    return res


def grpc_load(row, values_file, connections, duration):
    """wrk's role for a gRPC row: skiff_bench_grpc_load (bench/grpc_load.cc)
    keeps `connections` ModelInfer calls in flight and prints wrk's line."""
    env = dict(os.environ, SKIFF_BENCH_AUTHORIZATION=row.headers.get("Authorization", ""))
    argv = ["taskset", "-c", CLIENT_CORE, os.path.join(BIN, "skiff_bench_grpc_load"),
            "127.0.0.1:%d" % row.kw["grpc_port"], row.kw["grpc_model"], row.kw["grpc_input"],
            row.kw["grpc_shape"], values_file, str(connections), "%g" % duration]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, env=env)
    m = re.search(r"^WRKRESULT (.*)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError("skiff_bench_grpc_load failed (%d): %s %s" % (
            r.returncode, r.stdout[-500:], r.stderr[-500:]))
    res = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    res["errors"] = sum(res[k] for k in ("non2xx", "connect", "read", "write", "timeout"))
    return res


# ---------------------------------------------------------------- skiff control plane

def skiff(env, *args):
    r = subprocess.run([SKIFF] + list(args), env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("skiff %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def skiff_json(env, *args):
    return json.loads(skiff(env, *(list(args) + ["-o", "json"])))


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
    return path


def deploy_skiff_services(tmp):
    """Deploys every skiff variant with the CLI into a temp workspace, keeps each
    generated server.json (ioThreads set to 1, our own port) and its
    credentials, then deletes the deployments: the harness starts
    skiff-server itself with those configs (to pin it from launch and time
    its cold start)."""
    ws = os.path.join(tmp, "ws")
    env = dict(os.environ, SKIFF_WORKSPACE=ws)
    skiff(env, "model", "register", "-n", "mlp", "-p", os.path.join(FIXTURES, "mlp.pt"))
    skiff(env, "model", "register", "-n", "cnn", "-p", os.path.join(FIXTURES, "cnn.pt"))
    skiff(env, "computetarget", "create", "local", "-n", "local")

    def ic(model, batching=False):
        with open(os.path.join(FIXTURES, model + ".json")) as f:
            c = json.load(f)
        c["device"] = "cpu"
        c["threads"] = {"intraOp": 1, "interOp": 1}
        if batching:
            c["batching"] = {"enabled": True, "maxBatchSize": 8, "maxQueueDelayMicroseconds": 500}
        return write_json(os.path.join(tmp, "ic-%s%s.json" % (model, "-batch" if batching else "")), c)

    def dc(name, auth):
        c = {"computeType": "local", "numReplicas": 1, "maxConcurrentRequestsPerContainer": 1,
             "maxQueueWaitMs": 10000, "scoringTimeoutMs": 60000, "appInsightsEnabled": False,
             "authEnabled": auth == "key", "tokenAuthEnabled": auth == "token"}
        return write_json(os.path.join(tmp, "dc-%s.json" % name), c)

    services = {
        "mlp-key": ("mlp:1", ic("mlp"), dc("mlp-key", "key")),
        "mlp-none": ("mlp:1", ic("mlp"), dc("mlp-none", "none")),
        "mlp-token": ("mlp:1", ic("mlp"), dc("mlp-token", "token")),
        "mlp-batch": ("mlp:1", ic("mlp", batching=True), dc("mlp-batch", "key")),
        "cnn-key": ("cnn:1", ic("cnn"), dc("cnn-key", "key")),
    }
    out = {}
    for name, (model, icp, dcp) in services.items():
        log("deploy %s (%s) with the CLI" % (name, model))
        skiff(env, "model", "deploy", "-n", name, "-m", model, "-ct", "local", "-ic", icp, "-dc", dcp)
    log("deploy endpoint mlp-split: blue 90 / green 10")
    skiff(env, "endpoint", "create", "-n", "mlp-split", "-ct", "local", "--version-name", "blue",
          "-m", "mlp:1", "-ic", ic("mlp"), "-dc", dc("mlp-split", "key"))
    skiff(env, "endpoint", "create-version", "-n", "mlp-split", "--version-name", "green",
          "-m", "mlp:1", "-ic", ic("mlp"), "--traffic-percentile", "10")
    skiff(env, "endpoint", "update-version", "-n", "mlp-split", "--version-name", "blue",
          "--traffic-percentile", "90")

    for name in list(services) + ["mlp-split"]:
        shown = skiff_json(env, "service", "show", "-n", name)
        if "token" in name:
            tok = skiff_json(env, "service", "get-access-token", "-n", name)
            auth = {"Authorization": "Bearer " + tok["accessToken"]}
        elif "none" in name:
            auth = {}
        else:
            keys = skiff_json(env, "endpoint" if name == "mlp-split" else "service", "get-keys",
                              "-n", name)
            auth = {"Authorization": "Bearer " + keys["primaryKey"]}
        with open(os.path.join(ws, "services", name, "server.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(ws, "services", name, "supervisor.json")) as f:
            sup = json.load(f)
        for k in ("portFile", "requestLog", "dataCollectionDir"):
            cfg.pop(k, None)
        cfg["ioThreads"] = 1
        cfg["address"] = "127.0.0.1"
        # `service delete` below removes the deployment's signing keys; a
        # server started on a fresh folder makes a new key set, and the token
        # the CLI signed with the old key fails (401, then the failure
        # limiter's 429). Keep a copy of the key set the token was signed with.
        keys_dir = cfg.get("auth", {}).get("options", {}).get("keysDir")
        if keys_dir and os.path.isdir(keys_dir):
            kept = os.path.join(tmp, "signing-keys", name, os.path.basename(keys_dir))
            shutil.copytree(keys_dir, kept)
            cfg["auth"]["options"]["keysDir"] = kept
        out[name] = {"config": cfg, "auth": auth, "scoringUri": shown.get("scoringUri"),
                     "deployedServerPid": sup.get("serverPid")}
    for name in services:
        skiff(env, "service", "delete", "-n", name)
    skiff(env, "endpoint", "delete", "-n", "mlp-split")
    return out


# ---------------------------------------------------------------- rows

class Row:
    def __init__(self, key, label, kind, path, body, headers=None, c32=False, model="mlp",
                 c1024=False, **kw):
        self.key, self.label, self.kind, self.path, self.body = key, label, kind, path, body
        self.headers = headers or {}
        self.c32, self.c1024, self.model, self.kw = c32, c1024, model, kw
        self.res = {}


def prepare_keys_dir(cfg):
    """deploy_skiff_services deleted the deployments, and with them their
    signing-keys folders; the server makes its key set itself (non-recursive
    mkdir) under the service's folder, which must exist (0700, like the CLI's)."""
    keys_dir = cfg.get("auth", {}).get("options", {}).get("keysDir")
    if keys_dir:
        os.makedirs(os.path.dirname(keys_dir), mode=0o700, exist_ok=True)


def start_server(row, procs, tmp, port):
    logp = os.path.join(tmp, "logs", row.key + ".log")
    if row.kind in ("skiff", "skiff-grpc"):
        cfg = dict(row.kw["config"], port=port)
        if row.kind == "skiff-grpc":
            row.kw["grpc_port"] = free_port()
            cfg["grpc"] = {"port": row.kw["grpc_port"]}
        prepare_keys_dir(cfg)
        cfgp = write_json(os.path.join(tmp, "server-%s.json" % row.key), cfg)
        return procs.start([SERVER, "--config", cfgp], logp)
    if row.kind == "nginx":
        conf = os.path.join(tmp, "nginx-%s" % row.key)
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "nginx.conf"), "w") as f:
            f.write("""daemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(d)s/body;
  proxy_temp_path %(d)s/proxy;
  fastcgi_temp_path %(d)s/fastcgi;
  uwsgi_temp_path %(d)s/uwsgi;
  scgi_temp_path %(d)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;
    location / {
      default_type application/json;
      return 200 '%(resp)s';
    }
  }
}
""" % {"d": conf, "port": port, "resp": NGINX_RESPONSE})
        return procs.start(["nginx", "-p", conf, "-c", os.path.join(conf, "nginx.conf")], logp)
    env = dict(os.environ, BENCH_MODEL=os.path.join(FIXTURES, row.model + ".pt"),
               BENCH_CONFIG=os.path.join(FIXTURES, row.model + ".json"), BENCH_NAME=row.model,
               PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1")
    if row.kind == "fastapi":
        return procs.start([PY, os.path.join(PEERS, "fastapi_server.py"), str(port)], logp,
                           env=env, cwd=PEERS)
    if row.kind == "flask":
        return procs.start([PY, "-m", "gunicorn", "-w", "1", "-k", "sync", "--chdir", PEERS,
                            "-b", "127.0.0.1:%d" % port, "--log-level", "warning",
                            "flask_server:app"], logp, env=env, cwd=PEERS)
    raise ValueError(row.kind)


def measure(row, procs, tmp, args):
    port = free_port()
    body_file = os.path.join(tmp, "body-%s.json" % row.key)
    with open(body_file, "wb") as f:
        f.write(row.body if isinstance(row.body, bytes) else row.body.encode())
    t0 = time.monotonic()
    proc = start_server(row, procs, tmp, port)
    try:
        cold_ms, answer = wait_first_200(proc, port, row.path, row.body, row.headers, t0)
        pin_tree(proc.pid)  # children (gunicorn/nginx workers) inherit the mask; this makes sure
        ans = json.loads(answer)
        if "outputs" not in ans and "result" not in ans:
            raise RuntimeError("unexpected answer: %r" % answer[:300])
        row.res["cold_ms"] = cold_ms
        row.res["answer"] = answer.decode()[:160]
        if row.kind == "skiff-grpc":
            values_file = os.path.join(tmp, "values-%s.txt" % row.key)
            with open(values_file, "w") as f:
                f.write(" ".join("%r" % v for v in row.kw["grpc_values"]))

            def load(c, d):
                return grpc_load(row, values_file, c, d)
        else:
            def load(c, d):
                return wrk(port, row.path, body_file, row.headers, c, d)
        load(16, args.warmup)  # warm-up, not recorded
        r1 = load(1, args.duration)
        before = cpu_ticks(proc.pid)
        r16 = load(16, args.duration)
        after = cpu_ticks(proc.pid)
        row.res.update(c1=r1, c16=r16, rps16=r16["rps"],
                       cpu_us=(after - before) / CLK_TCK * 1e6 / max(1, r16["requests"]))
        if row.c32:
            row.res["c32"] = load(32, args.duration)
        if row.c1024:
            row.res["c1024"] = load(C1024, args.duration)
        row.res["errors"] = (r1["errors"] + r16["errors"] + row.res.get("c32", {}).get("errors", 0) +
                             row.res.get("c1024", {}).get("errors", 0))
        row.res["hwm_kb"] = vm_hwm_kb(proc.pid)
        row.res["procs"] = len(tree(proc.pid))
    finally:
        procs.stop(proc)
    log("%-12s %-30s rps@16 %8.0f  p99@16 %7.2f ms  cpu/req %7.1f us  cold %6.0f ms  hwm %6.1f MB%s" % (
        row.key, row.label, row.res["rps16"], row.res["c16"]["p99_us"] / 1000, row.res["cpu_us"],
        row.res["cold_ms"], row.res["hwm_kb"] / 1024,
        ("  ERRORS %d" % row.res["errors"]) if row.res["errors"] else ""))


def run_floor():
    r = subprocess.run(["taskset", "-c", SERVER_CORE, os.path.join(BIN, "skiff_bench_accel_floor"), "cpu"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("skiff_bench_accel_floor failed: " + r.stderr)
    floor = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^(mlp|cnn|two_io|dict_out)\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if m:
            floor[m.group(1)] = {"p50": float(m.group(3)), "p99": float(m.group(4)),
                                 "mean": float(m.group(5))}
    if "mlp" not in floor or "cnn" not in floor:
        raise RuntimeError("cannot parse skiff_bench_accel_floor output:\n" + r.stdout)
    return floor, r.stdout


def run_bare(model, dims):
    r = subprocess.run(["taskset", "-c", SERVER_CORE, os.path.join(BIN, "skiff_bench_bare_libtorch"),
                        os.path.join(FIXTURES, model + ".pt")] + [str(d) for d in dims],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"^VmHWM:\s+(\d+)", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError("skiff_bench_bare_libtorch failed: " + r.stdout + r.stderr)
    return int(m.group(1))


# ---------------------------------------------------------------- report

def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
        model = m.group(1) if m else model
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"^MemTotal:\s+(\d+)", f.read(), re.M).group(1))
    return "%s; nproc %d; %.1f GiB RAM; Linux %s" % (model, os.cpu_count(), mem_kb / 2**20,
                                                      platform.release())


def fmt_ms(us):
    return "%.2f" % (us / 1000.0)


def heap_allocator():
    """The allocator skiff-server (and the floors) link: cmake/SkiffMalloc.cmake."""
    try:
        needed = subprocess.run(["readelf", "-d", SERVER], capture_output=True, text=True).stdout
    except OSError:
        return "unknown (no readelf)"
    return "jemalloc" if "libjemalloc" in needed else "glibc malloc"


def inline_scoring_modes(tmp):
    """What the skiff servers' start logs say of inlineScoring (docs/server-config.md)."""
    modes = set()
    logs = os.path.join(tmp, "logs")
    for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
        try:
            with open(os.path.join(logs, name), errors="replace") as f:
                for line in f:
                    at = line.find("inline scoring: ")
                    if at >= 0:
                        modes.add(line[at + len("inline scoring: "):].strip())
        except OSError:
            pass
    return "; ".join(sorted(modes)) or "not logged"


def report(rows, floor, bare_kb, args, started, elapsed):
    by = {r.key: r for r in rows}
    L = []
    L.append("# skiff benchmark: %s" % started.strftime("%Y-%m-%d %H:%M:%S %Z").strip())
    L.append("")
    L.append("- machine: %s" % machine())
    L.append("- load average (1/5/15 min) at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    L.append("- command: `%s`" % args.command)
    L.append("- heap allocator of skiff-server and the floors: %s" % heap_allocator())
    L.append("- skiff-server's inline scoring (run to completion): %s" % inline_scoring_modes(args.tmp))
    L.append("- %g s per measurement (%g s warm-up at c=16); wrk -t1, pinned to core %s; every server "
             "pinned to core %s (all threads); total %.0f s" % (args.duration, args.warmup, CLIENT_CORE,
                                                                SERVER_CORE, elapsed))
    if args.load_at_start >= 0.5:
        L.append("- **the machine was busy when the run started (1-min load average %.2f): other work on "
                 "cores 0/1 shows up in every figure**" % args.load_at_start)
    if args.quick:
        L.append("- **--quick run: short measurements, indicative only**")
    if args.note:
        L.append("- note: %s" % args.note)
    L.append("")
    L.append("## Tiny MLP (mlp.pt, 1x4 -> 1x3), one core")
    L.append("")
    L.append("| row | req/s @16 | p50 @1 ms | p99 @1 ms | p50 @16 ms | p99 @16 ms | CPU µs/req | "
             "serving tax µs | peak RSS MB | cold start → first 200 ms | errors |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    fwd = floor["mlp"]["p50"]  # forward µs: p50 (robust to preemption; CPU time excludes it)
    for r in rows:
        if r.model != "mlp":
            continue
        x = r.res
        if not x:
            L.append("| %s | failed: %s |  |  |  |  |  |  |  |  |  |" % (r.label, r.kw.get("error", "")))
            continue
        tax = "%.1f" % (x["cpu_us"] - fwd) if r.kind != "nginx" else "n/a"
        L.append("| %s | %.0f | %s | %s | %s | %s | %.1f | %s | %.1f | %.0f | %d |" % (
            r.label, x["rps16"], fmt_ms(x["c1"]["p50_us"]), fmt_ms(x["c1"]["p99_us"]),
            fmt_ms(x["c16"]["p50_us"]), fmt_ms(x["c16"]["p99_us"]), x["cpu_us"], tax,
            x["hwm_kb"] / 1024, x["cold_ms"], x["errors"]))
    L.append("| in-process forward() (floor) | %.0f (1e6/p50) | %.3f (p50) | %.3f (p99) |  |  | %.1f (p50) | 0 | %.1f (bare libtorch + model) |  |  |" % (
        1e6 / fwd, floor["mlp"]["p50"] / 1000, floor["mlp"]["p99"] / 1000, fwd, bare_kb / 1024))
    L.append("")
    L.append("Concurrency 32:")
    L.append("")
    L.append("| row | req/s @32 | p50 @32 ms | p99 @32 ms | errors |")
    L.append("|---|---:|---:|---:|---:|")
    for r in rows:
        if r.res.get("c32"):
            c = r.res["c32"]
            L.append("| %s | %.0f | %s | %s | %d |" % (r.label, c["rps"], fmt_ms(c["p50_us"]),
                                                    fmt_ms(c["p99_us"]), c["errors"]))
    L.append("")
    L.append("Concurrency 1024 (keep-alive connections; wrk with `ulimit -n` raised):")
    L.append("")
    L.append("| row | req/s @1024 | ÷ req/s @16 | p50 @1024 ms | p99 @1024 ms | errors |")
    L.append("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.res.get("c1024"):
            c = r.res["c1024"]
            L.append("| %s | %.0f | %.2f | %s | %s | %d |" % (
                r.label, c["rps"], c["rps"] / r.res["rps16"], fmt_ms(c["p50_us"]),
                fmt_ms(c["p99_us"]), c["errors"]))
    L.append("")
    L.append("## CNN (cnn.pt, 1x1x28x28 -> 1x10), one core")
    L.append("")
    cnn_limit = 1e6 / floor["cnn"]["p50"]
    L.append("| row | req/s @16 | ratio to in-process limit | p99 @16 ms | CPU µs/req | peak RSS MB | errors |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.model != "cnn" or not r.res:
            continue
        x = r.res
        L.append("| %s | %.0f | %.2f | %s | %.1f | %.1f | %d |" % (
            r.label, x["rps16"], x["rps16"] / cnn_limit, fmt_ms(x["c16"]["p99_us"]), x["cpu_us"],
            x["hwm_kb"] / 1024, x["errors"]))
    L.append("| in-process forward() limit (1e6 / p50 forward µs) | %.0f | 1.00 |  | %.1f (p50 forward) |  |  |" % (
        cnn_limit, floor["cnn"]["p50"]))
    L.append("")

    def rps(k, c="rps16"):
        x = by.get(k)
        if not x or not x.res:
            return None
        return x.res[c] if c == "rps16" else x.res.get(c, {}).get("rps")

    def ratio(a, b):
        return "%.2f" % (a / b) if a and b else "n/a"

    key = by["skiff-key"].res if "skiff-key" in by else {}
    fast = by["fastapi"].res if "fastapi" in by else {}
    L.append("## Headline ratios (issue goals in brackets)")
    L.append("")
    L.append("| figure | value | goal | met |")
    L.append("|---|---:|---|---|")

    def goal(name, value, text, ok):
        L.append("| %s | %s | %s | %s |" % (name, value, text, "n/a" if ok is None else ("yes" if ok else "**no**")))

    def chk(v, pred):
        try:
            return pred(float(v))
        except (TypeError, ValueError):
            return None

    # Issue 20.5: the limit one core could reach = one nginx exchange plus
    # forward(), over what skiff spends per request (CPU µs, c=16).
    ngx = by["nginx"].res if "nginx" in by else {}
    for k, what in (("skiff-key", "JSON"), ("skiff-bin", "binary")):
        x = by[k].res if k in by else {}
        v = ratio(ngx["cpu_us"] + fwd if ngx else None, x.get("cpu_us"))
        goal("efficiency, MLP %s, key auth, c=16: (nginx CPU µs/req + forward() p50) ÷ skiff CPU "
             "µs/req" % what, v, "≥ 0.8", chk(v, lambda x: x >= 0.8))
    v = ratio(rps("cnn-bin"), cnn_limit)
    goal("CNN, binary tensors: skiff req/s ÷ in-process limit", v, "≥ 0.9", chk(v, lambda x: x >= 0.9))
    c1024 = key.get("c1024") if key else None
    v = ratio(c1024["rps"] if c1024 else None, rps("skiff-key"))
    goal("c=1024 req/s ÷ c=16 req/s, key auth (errors: %s)" % (c1024["errors"] if c1024 else "n/a"),
         v, "≥ 0.9, 0 errors", None if not c1024 else (float(v) >= 0.9 and c1024["errors"] == 0))
    v = ratio(key["c16"]["p99_us"] if key else None, key["c16"]["p50_us"] if key else None)
    goal("p99 ÷ p50 @16, key auth", v, "≤ 3", chk(v, lambda x: x <= 3))
    v = ratio(rps("skiff-key"), rps("fastapi"))
    goal("skiff key-auth req/s ÷ FastAPI req/s (c=16)", v + "×", "≥ 15×", chk(v, lambda x: x >= 15))
    v = ratio(rps("skiff-key"), rps("nginx"))
    goal("skiff key-auth req/s ÷ nginx fixed response (c=16)", v + "×", "≥ 0.5×", chk(v, lambda x: x >= 0.5))
    tax = key["cpu_us"] - fwd if key else None
    goal("serving tax: skiff CPU µs/req − forward() µs", "%.1f µs" % tax if tax is not None else "n/a",
         "≤ 30 µs", None if tax is None else tax <= 30)
    v = ratio(key["c16"]["p99_us"] if key else None, fast["c16"]["p99_us"] if fast else None)
    goal("p99 @16: skiff ÷ FastAPI", v, "≤ 0.10", chk(v, lambda x: x <= 0.10))
    v = ratio(rps("skiff-batch", "c32"), rps("skiff-key", "c32"))
    goal("batching req/s @32 ÷ unbatched key-auth req/s @32", v + "×", "≥ 2×", chk(v, lambda x: x >= 2))
    v = ratio(rps("cnn-skiff"), cnn_limit)
    goal("CNN: skiff req/s ÷ in-process limit (1e6 / forward µs)", v, "≥ 0.9", chk(v, lambda x: x >= 0.9))
    if key:
        d = (key["hwm_kb"] - bare_kb) / 1024
        goal("peak RSS: skiff key-auth − bare libtorch + model", "%+.1f MB (%.1f vs %.1f)" % (
            d, key["hwm_kb"] / 1024, bare_kb / 1024), "≤ +30 MB", d <= 30)
    L.append("")
    L.append("Notes: CPU µs/req = Δ(utime+stime) of the server's process tree (all threads) over the c=16 "
             "window ÷ completed requests; serving tax subtracts the in-process p50 forward() of %.1f µs "
             "(skiff_bench_accel_floor, core %s). Cold start = server process launch → first 200 on the "
             "scoring request (skiff: skiff-server started directly with the CLI-generated config). "
             "Peak RSS = VmHWM summed over the process tree (nginx and gunicorn: master + worker). "
             "Python peers have no auth; skiff rows use the auth named." % (fwd, SERVER_CORE))
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rows", default="",
                    help="comma-separated row keys to measure (default: all), e.g. "
                         "nginx,skiff-key,skiff-bin,cnn-bin")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""))
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results", "latest.md"))
    args = ap.parse_args()
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 3.0
    os.sched_setaffinity(0, {int(CLIENT_CORE)})  # keep the harness itself off the server core
    os.makedirs(os.path.join(args.tmp, "logs"), exist_ok=True)
    procs = Procs(os.environ.get("BENCH_PIDFILE", os.path.join(args.tmp, "pids")))

    def on_signal(sig, _):
        procs.stop_all()
        sys.exit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    args.load_at_start = float(open("/proc/loadavg").read().split()[0])
    if args.load_at_start >= 0.5:
        log("warning: 1-min load average %.2f: the machine is not idle" % args.load_at_start)
    started = datetime.datetime.now().astimezone()
    t_start = time.monotonic()
    try:
        log("compute floor: skiff_bench_accel_floor cpu (core %s)" % SERVER_CORE)
        floor, floor_out = run_floor()
        bare_kb = run_bare("mlp", [1, 4])
        log("floor: mlp forward p50 %.1f us, cnn %.1f us; bare libtorch+mlp VmHWM %.1f MB" % (
            floor["mlp"]["p50"], floor["cnn"]["p50"], bare_kb / 1024))
        sk = deploy_skiff_services(args.tmp)
        with open(os.path.join(FIXTURES, "cnn.expected.json")) as f:
            cnn_data = json.load(f)["inputs"]["input"]["data"][:784]
        cnn_body = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 1, 28, 28],
                                           "data": [round(x, 4) for x in cnn_data]}]},
                              separators=(",", ":"))
        cnn_bin, cnn_bin_headers = binary_body([1, 1, 28, 28], cnn_data)

        def oip(svc):
            return "/v2/models/%s/infer" % svc

        def sk_row(key, label, svc, body=MLP_BODY, path=None, extra=None, **kw):
            return Row(key, label, "skiff", path or oip(svc), body,
                       dict(sk[svc]["auth"], **(extra or {})), config=sk[svc]["config"], **kw)
        rows = [
            Row("nginx", "nginx fixed OIP response", "nginx", oip("mlp"), MLP_BODY),
            sk_row("skiff-key", "skiff OIP v2, key auth", "mlp-key", c32=True, c1024=True),
            sk_row("skiff-bin", "skiff OIP v2 binary tensors, key auth", "mlp-key",
                   body=MLP_BINARY_BODY, extra=MLP_BINARY_HEADERS),
            sk_row("skiff-none", "skiff OIP v2, auth off", "mlp-none"),
            sk_row("skiff-token", "skiff OIP v2, token (JWT)", "mlp-token"),
            sk_row("skiff-split", "skiff endpoint 90/10 split", "mlp-split"),
            sk_row("skiff-batch", "skiff batching (max 8, 500 µs)", "mlp-batch", c32=True),
            sk_row("skiff-score", "skiff Azure /score, key auth", "mlp-key", body=SCORE_BODY,
                   path="/api/v1/service/mlp-key/score"),
            Row("fastapi", "FastAPI + uvicorn (1 worker)", "fastapi", oip("mlp"), MLP_BODY),
            Row("flask", "Flask + gunicorn (1 sync)", "flask", oip("mlp"), MLP_BODY),
            Row("skiff-grpc", "skiff gRPC ModelInfer (raw), key auth", "skiff-grpc", oip("mlp-key"),
                MLP_BODY, sk["mlp-key"]["auth"], config=sk["mlp-key"]["config"],
                grpc_model="mlp-key", grpc_input="input", grpc_shape="1,4",
                grpc_values=[0.1, 0.2, 0.3, 0.4]),
            sk_row("cnn-skiff", "skiff OIP v2, key auth", "cnn-key", body=cnn_body, model="cnn"),
            sk_row("cnn-bin", "skiff OIP v2 binary tensors, key auth", "cnn-key", body=cnn_bin,
                   extra=cnn_bin_headers, model="cnn"),
            Row("cnn-grpc", "skiff gRPC ModelInfer (raw), key auth", "skiff-grpc", oip("cnn-key"),
                cnn_body, sk["cnn-key"]["auth"], config=sk["cnn-key"]["config"], model="cnn",
                grpc_model="cnn-key", grpc_input="input", grpc_shape="1,1,28,28",
                grpc_values=[round(x, 4) for x in cnn_data]),
            Row("cnn-fastapi", "FastAPI + uvicorn (1 worker)", "fastapi", oip("cnn"), cnn_body, model="cnn"),
        ]
        if args.rows:
            wanted = set(args.rows.split(","))
            unknown = wanted - {r.key for r in rows}
            if unknown:
                raise RuntimeError("unknown --rows %s; rows: %s" % (",".join(sorted(unknown)),
                                                                   ",".join(r.key for r in rows)))
            rows = [r for r in rows if r.key in wanted]
        failed = 0
        for row in rows:
            try:
                measure(row, procs, args.tmp, args)
            except Exception as e:  # one broken row must not hide the others
                failed += 1
                row.res = {}
                row.kw["error"] = str(e).replace("\n", " ")[:200]
                log("%s FAILED: %s (log: %s)" % (row.label, e, os.path.join(args.tmp, "logs", row.key + ".log")))
        if not args.rows and not by_key_ok(rows, ("skiff-key", "fastapi")):
            raise RuntimeError("the skiff key-auth or FastAPI row failed; no ratios to print")
        text = report(rows, floor, bare_kb, args, started, time.monotonic() - t_start)
        text += "\n<details><summary>skiff_bench_accel_floor output</summary>\n\n```\n%s```\n</details>\n" % floor_out
        print(text)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
        log("written to %s" % os.path.relpath(args.out, REPO))
        return 1 if failed else 0
    finally:
        procs.stop_all()


def by_key_ok(rows, keys):
    return all(r.res for r in rows if r.key in keys)


if __name__ == "__main__":
    sys.exit(main())
