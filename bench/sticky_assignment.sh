#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Figures for sticky A/B assignment (docs/rollout.md): each version's share
# of 100,000 keys and the keys a 10 -> 20 % change moves, skiff's weighted
# rendezvous next to cumulative ranges. Run from the repository root after
# a build; prints markdown tables.
#   bench/sticky_assignment.sh [BUILD_DIR] [KEYS]
set -euo pipefail
build=${1:-build}
cmake --build "$build" --target skiff_bench_sticky >/dev/null
"$build/bin/skiff_bench_sticky" "${2:-100000}"
