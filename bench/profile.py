#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Instructions per request of skiff-server, under valgrind's callgrind.

Wall-clock figures on a shared machine are noise; instruction counts are not.
This deploys the harness's skiff variants with the CLI (bench/lib/harness.py,
configs kept in --tmp and reused on the next run), starts build/bin/skiff-server
under `valgrind --tool=callgrind --instr-atstart=no`, warms it up, switches
instrumentation on (callgrind_control -i on), drives it with wrk for
--duration seconds, switches it off, stops the server and prints

    row  requests  instructions  instructions/request  threads

(threads: the server's thread count at the end of the run). The gRPC rows
(mlp-grpc, mlp-grpc-c1, cnn-grpc) drive the server's KServe v2 listener with
build/bin/skiff_bench_grpc_load (ModelInfer, raw_input_contents) instead of wrk.

The callgrind output files (one per row) stay in --tmp for callgrind_annotate.
See bench/README.md, "Profile".

  bench/profile.py [--rows mlp-key,cnn-key,mlp-batch] [--duration 10] [--tmp DIR]
  bench/profile.py --rows mlp-bin-c16,mlp-grpc --duration 4   # HTTP binary vs gRPC
  bench/profile.py --switches ...   # no valgrind: context switches per request
  bench/profile.py --set inlineScoring='"off"' ...  # a server.json key for every row
  bench/profile.py --allocs ...     # no valgrind: heap allocations per request
                                    # (bench/lib/alloc_counter.c, LD_PRELOAD)
  bench/profile.py --split [--perf] --rows nginx,mlp-key-c16
                                    # no valgrind: CPU µs per request as user and
                                    # kernel time, by thread; --perf adds perf's
                                    # split by DSO and by system call
  bench/profile.py --cpu ...        # no valgrind: requests/s and CPU µs per request,
                                    # server on core 0, wrk on core 1 (wall clock:
                                    # noisy on a shared machine; alternate builds
                                    # with SKIFF_BENCH_BUILD and repeat)
"""
import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402

ROWS = {
    # name: (service, body kind, wrk connections)
    "mlp-key": ("mlp-key", "mlp", 1),
    "mlp-none": ("mlp-none", "mlp", 1),
    "mlp-key-c16": ("mlp-key", "mlp", 16),
    "cnn-key": ("cnn-key", "cnn", 1),
    "mlp-batch": ("mlp-batch", "mlp", 32),
    "mlp-key-c32": ("mlp-key", "mlp", 32),
    # Binary tensor extension (issue 20): the bodies tritonclient sends.
    "mlp-bin": ("mlp-key", "mlp-bin", 1),
    "mlp-bin-c16": ("mlp-key", "mlp-bin", 16),
    "cnn-bin": ("cnn-key", "cnn-bin", 1),
    "cnn-bin-c16": ("cnn-key", "cnn-bin", 16),
    # gRPC ModelInfer with raw_input_contents (issue 20, sixth session): the
    # same service with `grpc: {port}`, driven by build/bin/skiff_bench_grpc_load
    # (bench/grpc_load.cc) as bench/run.sh drives its gRPC rows.
    "mlp-grpc": ("mlp-key", "mlp-grpc", 16),
    "mlp-grpc-c1": ("mlp-key", "mlp-grpc", 1),
    "cnn-grpc": ("cnn-key", "cnn-grpc", 16),
    # --split only: bench/run.sh's nginx row (fixed OIP response, access_log
    # off), the "one exchange" of issue 20's efficiency figure.
    "nginx": (None, "mlp", 16),
}

# A gRPC body kind: (input name, shape, values) of its one FP32 input.
GRPC_KINDS = {
    "mlp-grpc": ("input", "1,4", [0.1, 0.2, 0.3, 0.4]),
    "cnn-grpc": ("input", "1,1,28,28", None),  # the CNN fixture's 784 values
}


def cnn_body():
    with open(os.path.join(harness.FIXTURES, "cnn.expected.json")) as f:
        data = json.load(f)["inputs"]["input"]["data"][:784]
    return json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 1, 28, 28],
                                   "data": [round(x, 4) for x in data]}]}, separators=(",", ":"))


def cnn_values():
    with open(os.path.join(harness.FIXTURES, "cnn.expected.json")) as f:
        return [round(x, 4) for x in json.load(f)["inputs"]["input"]["data"][:784]]


def body_of(kind):
    """(body bytes, extra headers) of a row's body kind."""
    if kind == "mlp":
        return harness.MLP_BODY.encode(), {}
    if kind == "cnn":
        return cnn_body().encode(), {}
    if kind == "mlp-bin":
        return harness.MLP_BINARY_BODY, dict(harness.MLP_BINARY_HEADERS)
    with open(os.path.join(harness.FIXTURES, "cnn.expected.json")) as f:
        data = json.load(f)["inputs"]["input"]["data"][:784]
    body, headers = harness.binary_body([1, 1, 28, 28], data)
    return body, dict(headers)


def alloc_counter(tmp):
    """Builds bench/lib/alloc_counter.c into tmp once; its path."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib", "alloc_counter.c")
    so = os.path.join(tmp, "alloc_counter.so")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(src):
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", so, src], check=True)
    return so


def alloc_snapshot(pid, out):
    """SIGUSR2 makes the counter append a line; returns its allocation count."""
    before = open(out).read().count("\n") if os.path.exists(out) else 0
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.path.exists(out):
            lines = open(out).read().splitlines()
            if len(lines) > before:
                return int(re.match(r"allocs=(\d+)", lines[-1]).group(1))
        time.sleep(0.01)
    raise RuntimeError("the allocation counter did not answer SIGUSR2")


def configs(tmp):
    path = os.path.join(tmp, "services.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    sk = harness.deploy_skiff_services(tmp)
    with open(path, "w") as f:
        json.dump(sk, f)
    return sk


def total_ir(out_file):
    """Sum of the 'totals:' (or 'summary:') lines of a callgrind output."""
    total = 0
    with open(out_file) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                total = max(total, int(line.split()[1]))
    return total


def process_cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def context_switches(pid):
    """Voluntary + involuntary context switches, summed over the threads."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if "ctxt_switches" in line:
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def threads(pid):
    """The server's thread count (gRPC's pollers and executors included)."""
    return len(os.listdir("/proc/%d/task" % pid))


def thread_ticks(pid):
    """{thread name: [utime, stime]} in clock ticks, over the process and its
    children (nginx's worker) and all their threads. A thread that exits
    inside the window is not counted (none does in these rows)."""
    out = {}
    for p in harness.tree(pid):
        try:
            tids = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/stat" % (p, tid)) as f:
                    raw = f.read()
            except OSError:
                continue
            comm = raw[raw.index("(") + 1:raw.rindex(")")]
            fields = raw.rsplit(")", 1)[1].split()
            t = out.setdefault(comm, [0, 0])
            t[0] += int(fields[11])
            t[1] += int(fields[12])
    return out


def ticks_delta(before, after):
    return {k: [after[k][0] - before.get(k, [0, 0])[0], after[k][1] - before.get(k, [0, 0])[1]]
            for k in after}


# Kernel samples grouped by the system call they ran under (the frame called
# from do_syscall_64), named without the kernel's prefixes.
SYSCALL_PREFIXES = ("__x64_sys_", "__do_sys_", "__sys_", "ksys_", "__se_sys_")


def perf_groups(perf_data):
    """({group: samples}, total samples) of a `perf record -g` file: user
    samples by DSO ("user: libtorch_cpu.so..."), kernel samples by system call
    ("kernel: sendmsg"), kernel samples outside one ("kernel: interrupts and
    other")."""
    r = subprocess.run(["perf", "script", "-i", perf_data, "-F", "comm,ip,sym,dso"],
                       capture_output=True, text=True, check=True)
    groups, total = {}, 0
    for block in r.stdout.split("\n\n"):
        lines = [l.strip() for l in block.strip().splitlines()]
        if len(lines) < 2:
            continue
        frames = lines[1:]  # innermost first: "ADDR SYMBOL+OFF (DSO)"
        total += 1
        first = frames[0]
        if "[kernel.kallsyms]" not in first:
            dso = first.rsplit("(", 1)[-1].rstrip(")")
            key = "user: " + os.path.basename(dso)
        else:
            key = "kernel: interrupts and other"
            for i, f in enumerate(frames):
                if " do_syscall_64" in f and i > 0:
                    sym = frames[i - 1].split()[1].split("+")[0]
                    for prefix in SYSCALL_PREFIXES:
                        if sym.startswith(prefix):
                            sym = sym[len(prefix):]
                            break
                    key = "kernel: " + sym
                    break
        groups[key] = groups.get(key, 0) + 1
    return groups, total


def run_nginx_split(tmp, duration, perf):
    """(requests, ticks by thread, perf file or None) of bench/run.sh's nginx row."""
    procs = harness.Procs(os.path.join(tmp, "nginx.pids"))
    row = harness.Row("nginx", "nginx fixed OIP response", "nginx", "/v2/models/mlp/infer",
                      harness.MLP_BODY)
    port = harness.free_port()
    body_file = os.path.join(tmp, "body-nginx.json")
    with open(body_file, "w") as f:
        f.write(harness.MLP_BODY)
    proc = harness.start_server(row, procs, tmp, port)
    try:
        harness.wait_first_200(proc, port, row.path, row.body, {}, time.monotonic())
        harness.pin_tree(proc.pid)
        return measure_split(proc.pid, lambda d: wrk(port, row.path, body_file, {}, 16, d),
                             duration, perf, os.path.join(tmp, "perf-nginx.data"))
    finally:
        procs.stop(proc)


def measure_split(pid, load, duration, perf, perf_data):
    load(2)  # warm-up
    os.sched_setaffinity(0, {1})  # the load generator (a child) on the other core
    recorder = None
    if perf:
        pids = ",".join(str(p) for p in harness.tree(pid))
        recorder = subprocess.Popen(["perf", "record", "-q", "-F", "2999", "-g", "-o", perf_data,
                                     "-p", pids], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # perf attaches before the window opens
    before = thread_ticks(pid)
    # The load generator's sleeps (voluntary context switches; it is the
    # only child reaped in the window): a response that finds it asleep
    # pays, in the server's sendmsg, for waking it.
    sleeps = resource.getrusage(resource.RUSAGE_CHILDREN).ru_nvcsw
    n = load(duration)
    sleeps = resource.getrusage(resource.RUSAGE_CHILDREN).ru_nvcsw - sleeps
    after = thread_ticks(pid)
    if recorder is not None:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(60)
    ticks = ticks_delta(before, after)
    ticks[LOAD_SLEEPS] = sleeps
    return n, ticks, perf_data if perf else None


LOAD_SLEEPS = "load generator sleeps"  # a key of measure_split's ticks, not a thread


def print_split(name, n, duration, ticks, perf_data):
    ticks = dict(ticks)
    sleeps = ticks.pop(LOAD_SLEEPS, 0)
    us = lambda t: t / harness.CLK_TCK * 1e6 / max(n, 1)  # noqa: E731
    user = sum(t[0] for t in ticks.values())
    kernel = sum(t[1] for t in ticks.values())
    print("%-12s %9d %10.0f %10.1f %10.1f %10.1f" % (name, n, n / duration, us(user + kernel),
                                                     us(user), us(kernel)), flush=True)
    for comm, (u, k) in sorted(ticks.items(), key=lambda kv: -sum(kv[1])):
        if u + k:
            print("    thread %-22s %6.2f µs/req (user %.2f, kernel %.2f)" % (comm, us(u + k),
                                                                            us(u), us(k)))
    print("    load generator (wrk) went to sleep %.3f times per request" % (sleeps / max(n, 1)))
    if perf_data:
        groups, total = perf_groups(perf_data)
        per = us(user + kernel) / max(total, 1)
        print("    perf samples: %d (shares of the %.1f µs/req above)" % (total, us(user + kernel)))
        for key, count in sorted(groups.items(), key=lambda kv: -kv[1])[:14]:
            print("    %-40s %6.2f µs/req" % (key, count * per))


def run_row(name, sk, tmp, duration, native=False, allocs=False, cpu=False, overrides=None,
            split=False, perf=False):
    """(requests, measured count, callgrind file or None, server threads)."""
    service, kind, conns = ROWS[name]
    grpc_port = None
    if kind in GRPC_KINDS:
        # The HTTP port still answers the readiness probe; the load is gRPC.
        grpc_input, grpc_shape, values = GRPC_KINDS[kind]
        body, extra_headers = harness.MLP_BINARY_BODY, dict(harness.MLP_BINARY_HEADERS)
        if service.startswith("cnn"):
            body, extra_headers = body_of("cnn-bin")
        body_file = os.path.join(tmp, "values-%s.txt" % kind)
        with open(body_file, "w") as f:
            f.write(" ".join("%r" % v for v in (values or cnn_values())))
        grpc_port = harness.free_port()
    else:
        body, extra_headers = body_of(kind)
        body_file = os.path.join(tmp, "body-%s.json" % kind)
        with open(body_file, "wb") as f:
            f.write(body)
    port = harness.free_port()
    cfg = dict(sk[service]["config"], port=port, **(overrides or {}))
    if grpc_port is not None:
        cfg["grpc"] = {"port": grpc_port}
    harness.prepare_keys_dir(cfg)
    cfgp = harness.write_json(os.path.join(tmp, "profile-%s.json" % name), cfg)
    out = os.path.join(tmp, "callgrind.%s.out" % name)
    for stale in [] if native else [out] + [out + "." + s for s in ("1", "2")]:
        if os.path.exists(stale):
            os.remove(stale)
    log = open(os.path.join(tmp, "profile-%s.log" % name), "wb")
    # Under callgrind too: the server on one core decides inline scoring the
    # way the bench's pinned server does ("auto"), so the profile is of the
    # path bench/run.sh measures, not of the worker hand-off.
    prefix = ["taskset", "-c", "0"] + ([] if native else [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + out])
    env = None
    counts = os.path.join(tmp, "allocs-%s.txt" % name)
    if allocs:
        if os.path.exists(counts):
            os.remove(counts)
        env = dict(os.environ, LD_PRELOAD=alloc_counter(tmp), ALLOC_COUNTER_OUT=counts)
    proc = subprocess.Popen(
        prefix + [harness.SERVER, "--config", cfgp], stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    headers = dict(sk[service]["auth"], **extra_headers)
    path = "/v2/models/%s/infer" % service
    if grpc_port is None:
        def load(d):
            return wrk(port, path, body_file, headers, conns, d)
    else:
        def load(d):
            return grpc_load(grpc_port, service, grpc_input, grpc_shape, body_file,
                             sk[service]["auth"], conns, d)
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise RuntimeError("skiff-server exited; see %s" % log.name)
            try:
                status, _ = harness.post(port, path, body, headers, timeout=30)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("no 200 within 600 s")
            time.sleep(0.5)
        # Warm-up: graph executor profiling runs, allocator pools, lazy init.
        load(3)
        if allocs:
            before = alloc_snapshot(proc.pid, counts)
            n = load(duration)
            return n, alloc_snapshot(proc.pid, counts) - before, None, threads(proc.pid)
        if split:
            return measure_split(proc.pid, load, duration, perf,
                                 os.path.join(tmp, "perf-%s.data" % name))
        if cpu:
            os.sched_setaffinity(0, {1})  # the load generator (a child) on the other core
            before = process_cpu_seconds(proc.pid)
            n = load(duration)
            return n, process_cpu_seconds(proc.pid) - before, None, threads(proc.pid)
        if native:
            before = context_switches(proc.pid)
            n = load(duration)
            return n, context_switches(proc.pid) - before, None, threads(proc.pid)
        subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        n = load(duration)
        subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        nthreads = threads(proc.pid)
    finally:
        proc.terminate()
        proc.wait(120)
        log.close()
    ir = total_ir(out)
    return n, ir, out, nthreads


def grpc_load(grpc_port, model, grpc_input, shape, values_file, auth, conns, duration):
    """wrk's role for a gRPC row (bench/grpc_load.cc); the key travels in the
    environment, never in argv."""
    env = dict(os.environ, SKIFF_BENCH_AUTHORIZATION=auth.get("Authorization", ""))
    argv = [os.path.join(harness.BIN, "skiff_bench_grpc_load"), "127.0.0.1:%d" % grpc_port,
            model, grpc_input, shape, values_file, str(conns), str(duration)]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=duration + 60)
    m = re.search(r"WRKRESULT requests=(\d+) .*non2xx=(\d+) connect=(\d+) read=(\d+) "
                  r"write=(\d+) timeout=(\d+)", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError("skiff_bench_grpc_load failed (%d): %s %s" % (
            r.returncode, r.stdout[-500:], r.stderr[-500:]))
    errors = sum(int(x) for x in m.groups()[1:])
    if errors:
        raise RuntimeError("skiff_bench_grpc_load saw %d errors: %s %s" % (
            errors, r.stdout, r.stderr[-500:]))
    return int(m.group(1))


def wrk(port, path, body_file, headers, conns, duration):
    argv = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % duration, "--timeout", "30s", "-s",
            harness.POST_LUA, "http://127.0.0.1:%d%s" % (port, path), "--", body_file]
    argv += ["%s: %s" % kv for kv in headers.items()]
    r = subprocess.run(argv, capture_output=True, text=True, check=True)
    m = re.search(r"WRKRESULT requests=(\d+) .*non2xx=(\d+) connect=(\d+) read=(\d+) "
                  r"write=(\d+) timeout=(\d+)", r.stdout)
    if not m:
        raise RuntimeError("wrk printed no WRKRESULT: %s %s" % (r.stdout, r.stderr))
    errors = sum(int(x) for x in m.groups()[1:])
    if errors:
        raise RuntimeError("wrk saw %d errors: %s" % (errors, r.stdout))
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="mlp-key,cnn-key,mlp-batch")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--tmp", default="/tmp/skiff-profile")
    ap.add_argument("--switches", action="store_true",
                    help="no valgrind: context switches per request of the server's threads")
    ap.add_argument("--allocs", action="store_true",
                    help="no valgrind: heap allocations per request (malloc/calloc/realloc/"
                         "aligned, counted by bench/lib/alloc_counter.c under LD_PRELOAD)")
    ap.add_argument("--cpu", action="store_true",
                    help="no valgrind: requests/s and CPU us per request (server on core 0, "
                         "wrk on core 1)")
    ap.add_argument("--split", action="store_true",
                    help="no valgrind: CPU µs per request split into user and kernel time, by "
                         "thread (server on core 0, wrk on core 1); row `nginx` is bench/run.sh's "
                         "nginx row")
    ap.add_argument("--perf", action="store_true",
                    help="with --split: also `perf record -g` the window and split the time by "
                         "DSO (user) and by system call (kernel)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="a server.json key for every row, e.g. --set inlineScoring='\"off\"' "
                         "(A/B of a setting on the same build)")
    args = ap.parse_args()
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    os.makedirs(os.path.join(args.tmp, "logs"), exist_ok=True)
    sk = configs(args.tmp)
    if args.allocs:
        print("%-12s %9s %15s %14s %8s" % ("row", "requests", "allocations", "allocs/req",
                                           "threads"))
        for name in args.rows.split(","):
            n, a, _, t = run_row(name, sk, args.tmp, args.duration, native=True, allocs=True,
                                 overrides=overrides)
            print("%-12s %9d %15d %14.2f %8d" % (name, n, a, a / max(n, 1), t), flush=True)
        return 0
    if args.split:
        print("%-12s %9s %10s %10s %10s %10s" % ("row", "requests", "req/s", "CPU µs/req",
                                                 "user", "kernel"))
        for name in args.rows.split(","):
            if name == "nginx":
                n, ticks, data = run_nginx_split(args.tmp, args.duration, args.perf)
            else:
                n, ticks, data = run_row(name, sk, args.tmp, args.duration, native=True,
                                         overrides=overrides, split=True, perf=args.perf)
            print_split(name, n, args.duration, ticks, data)
        return 0
    if args.cpu:
        print("%-12s %9s %10s %12s" % ("row", "requests", "req/s", "CPU us/req"))
        for name in args.rows.split(","):
            n, seconds, _, _ = run_row(name, sk, args.tmp, args.duration, native=True, cpu=True,
                                          overrides=overrides)
            print("%-12s %9d %10.0f %12.1f" % (name, n, n / args.duration, seconds * 1e6 / max(n, 1)),
                  flush=True)
        return 0
    if args.switches:
        print("%-12s %9s %15s %14s %8s" % ("row", "requests", "ctx switches", "switches/req",
                                           "threads"))
        for name in args.rows.split(","):
            n, cs, _, t = run_row(name, sk, args.tmp, args.duration, native=True,
                                  overrides=overrides)
            print("%-12s %9d %15d %14.2f %8d" % (name, n, cs, cs / max(n, 1), t), flush=True)
        return 0
    print("%-12s %9s %15s %14s %8s" % ("row", "requests", "instructions", "instr/request",
                                       "threads"))
    for name in args.rows.split(","):
        n, ir, out, t = run_row(name, sk, args.tmp, args.duration, overrides=overrides)
        print("%-12s %9d %15d %14.0f %8d   %s" % (name, n, ir, ir / max(n, 1), t, out),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
