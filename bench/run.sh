#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# skiff vs peers on this machine, in one table (issue 9). See bench/README.md.
#
#   bench/run.sh [--duration SECONDS] [--quick] [--rows KEY,KEY...]
#
# Installs the Debian packages it misses, builds skiff (./scripts/build), then
# runs bench/lib/harness.py: every server pinned to core 0, wrk to core 1,
# loopback only. Prints the table (JSON and binary tensors, c=1, 16, 32, 1024)
# and the efficiency figure, and writes bench/results/latest.md. --rows measures
# only the rows named (e.g. nginx,skiff-key,skiff-bin,cnn-bin). BENCH_BUILD=none
# skips the build (an existing Release build/). Every process it starts is
# stopped on exit (trap EXIT).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
COMMAND="bench/run.sh $*"

duration=10
quick=0
rows=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="${2:?--duration needs a number of seconds}"; shift 2 ;;
    --duration=*) duration="${1#*=}"; shift ;;
    --quick) quick=1; shift ;;
    --rows) rows="${2:?--rows needs a comma-separated list of row keys}"; shift 2 ;;
    --rows=*) rows="${1#*=}"; shift ;;
    -h|--help) sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1'; usage: bench/run.sh [--duration SECONDS] [--quick] [--rows KEY,...]" >&2; exit 2 ;;
  esac
done
[[ "$duration" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "bench/run.sh: --duration must be a number of seconds" >&2; exit 2; }
# --quick: short measurements to check the harness (an explicit --duration wins).
if [ "$quick" = 1 ] && [[ " $COMMAND " != *" --duration"* ]]; then duration=2; fi

if [ "$(nproc)" -lt 2 ]; then
  echo "bench/run.sh: needs at least 2 cores (servers on core 0, wrk on core 1)" >&2
  exit 2
fi

# 1. Debian packages, only the missing ones.
BENCH_PACKAGES=(nginx-light wrk python3-fastapi python3-uvicorn python3-uvloop python3-httptools
                python3-flask gunicorn python3-torch util-linux)
missing=()
for pkg in "${BENCH_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2. skiff (Release, build/). BENCH_BUILD=targets builds only what the
# benchmark runs (CLI, server, supervisor, the three plugins, the two bench
# programs), not the tests: quicker on a busy machine.
if [ "${BENCH_BUILD:-all}" = none ]; then
  [ -x build/bin/skiff-server ] || { echo "bench/run.sh: BENCH_BUILD=none but build/bin/skiff-server is missing" >&2; exit 2; }
elif [ "${BENCH_BUILD:-all}" = targets ]; then
  ./scripts/deps
  cmake --preset release
  cmake --build --preset release -j "$(nproc)" --target skiff skiff-server skiff-supervisor \
    skiff_compute_local skiff_auth_default skiff_accelerator_torch \
    skiff_bench_accel_floor skiff_bench_bare_libtorch skiff_bench_grpc_load
else
  ./scripts/build
fi

# 3. Measure. The harness records every pid it starts in $BENCH_PIDFILE; the
# trap stops whatever is still running (an interrupted run) and removes the
# temp workspace.
TMP="$(mktemp -d /tmp/skiff-bench.XXXXXX)"
export BENCH_PIDFILE="$TMP/pids"
: >"$BENCH_PIDFILE"
harness_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$harness_pid" ] && kill -0 "$harness_pid" 2>/dev/null; then
    kill -TERM "$harness_pid" 2>/dev/null || true
    wait "$harness_pid" 2>/dev/null || true
  fi
  # Started servers run in their own process group (setsid): stop each group.
  local pids=()
  [ -f "$BENCH_PIDFILE" ] && mapfile -t pids <"$BENCH_PIDFILE"
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -TERM -- "-$pid" 2>/dev/null || true
  done
  sleep 0.5
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null || true
  done
  # Supervisors the CLI started, if the harness died between deploy and delete.
  for sup in "$TMP"/ws/services/*/supervisor.pid; do
    [ -f "$sup" ] && kill -TERM "$(cat "$sup")" 2>/dev/null || true
  done
  if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

args=(--duration "$duration" --tmp "$TMP" --command "$COMMAND")
[ "$quick" = 1 ] && args+=(--quick)
[ -n "$rows" ] && args+=(--rows "$rows")
/usr/bin/python3 "$REPO/bench/lib/harness.py" "${args[@]}" &
harness_pid=$!
wait "$harness_pid"
