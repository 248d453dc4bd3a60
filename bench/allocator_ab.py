#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The heap allocator's share of skiff's cost: two builds, alternated.

  cmake -S . -B build-sysmalloc -G Ninja -DCMAKE_BUILD_TYPE=Release -DSKIFF_MALLOC=system
  cmake --build build-sysmalloc --target skiff-server skiff_bench_accel_floor \\
        skiff_accelerator_torch skiff_auth_default
  bench/allocator_ab.py build-sysmalloc build [--rounds 3] [--duration 5]

Each round runs, for each build in turn, skiff_bench_accel_floor (in-process
forward() p50 of the MLP and the CNN, core 0) and bench/profile.py --cpu on
the rows (requests/s and CPU µs per request, server on core 0, wrk on core 1),
then prints the median of the rounds per build. Alternating the builds spreads
whatever else the machine does over both. bench/README.md § "Heap allocator".
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def floor(build):
    out = subprocess.run(["taskset", "-c", "0", os.path.join(build, "bin", "skiff_bench_accel_floor"),
                          "cpu"], capture_output=True, text=True, check=True).stdout
    p50 = {}
    for line in out.splitlines():
        m = re.match(r"^(mlp|cnn)\s+\S+\s+([\d.]+)", line)
        if m:
            p50[m.group(1)] = float(m.group(2))
    return p50


def rows(build, names, duration):
    env = dict(os.environ, SKIFF_BENCH_BUILD=os.path.abspath(build))
    out = subprocess.run([sys.executable, os.path.join(HERE, "profile.py"), "--cpu", "--rows",
                          ",".join(names), "--duration", str(duration)],
                         capture_output=True, text=True, env=env, check=True).stdout
    got = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[0] in names:
            got[f[0]] = (float(f[2]), float(f[3]))
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builds", nargs=2, help="two build folders, e.g. build-sysmalloc build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rows", default="mlp-key-c16,cnn-bin-c16")
    args = ap.parse_args()
    names = args.rows.split(",")
    results = {b: [] for b in args.builds}
    for r in range(args.rounds):
        for build in args.builds:
            f = floor(build)
            rw = rows(build, names, args.duration)
            results[build].append((f, rw))
            print("round %d %-20s floor mlp %.1f cnn %.1f us | %s" % (
                r + 1, build, f["mlp"], f["cnn"],
                "  ".join("%s %.0f req/s %.1f us/req" % (n, *rw[n]) for n in names)), flush=True)
    print("\nmedian of %d rounds" % args.rounds)
    print("| build | forward() p50 MLP µs | forward() p50 CNN µs | %s |" % " | ".join(
        "%s req/s | %s CPU µs/req" % (n, n) for n in names))
    print("|---|---:|---:|" + "---:|---:|" * len(names))
    for build in args.builds:
        runs = results[build]
        cells = ["%.1f" % statistics.median(f["mlp"] for f, _ in runs),
                 "%.1f" % statistics.median(f["cnn"] for f, _ in runs)]
        for n in names:
            cells.append("%.0f" % statistics.median(rw[n][0] for _, rw in runs))
            cells.append("%.1f" % statistics.median(rw[n][1] for _, rw in runs))
        print("| %s | %s |" % (build, " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
