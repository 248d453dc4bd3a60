#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Instructions per operation of skiff_bench_auth's rows, under callgrind:
# each row runs once, N times, and only what runs inside its timed loop
# (NsPerOp) is counted, so set-up (key generation, Create) is left out.
# Unlike the ns/op figures these do not move with the machine's load (the
# signature rows still vary a little: RSA and ECDSA blind with random values).
#
#   bench/auth_instructions.sh [BUILD_DIR] [ROW...]
#
# Default rows: the token verify rows, uncached and cached (docs/auth.md § Cost).
set -euo pipefail
build="${1:-build}"
shift || true
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=("HS256 token verify" "HS256 token verify (cached)"
                               "RS256 token verify" "RS256 token verify (cached)"
                               "ES256 token verify" "ES256 token verify (cached)")
bench="$build/bin/skiff_bench_auth"
[ -x "$bench" ] || { echo "$0: $bench not built (cmake --build $build --target skiff_bench_auth)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "$0: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n="${SKIFF_AUTH_INSTRUCTIONS_N:-500}"
printf '%-36s %14s\n' "operation" "instructions/op"
for row in "${rows[@]}"; do
  valgrind --tool=callgrind --toggle-collect='*NsPerOp*' --callgrind-out-file="$tmp/out" \
    "$bench" --only "$row" --iterations "$n" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/out")
  printf '%-36s %14d\n' "$row" $(( total / n ))
done
