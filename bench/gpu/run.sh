#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the torch accelerator, its tests and the compute-floor benchmark
# against the Python torch's libtorch, runs the tests with the CUDA suite on
# and the benchmark on `cuda`. No network. See bench/gpu/README.md.
#
#   bench/gpu/run.sh                  # GPU machine: /opt/torch/.venv, device cuda
#   TORCH_DIR=<site-packages>/torch/share/cmake/Torch bench/gpu/run.sh  # a chosen libtorch
#   TORCH_PREFIX=/usr SKIFF_TEST_CUDA=OFF DEVICE=cpu bench/gpu/run.sh   # CPU check
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${BUILD_DIR:-$HERE/../../build-gpu}"
VENV="${TORCH_VENV:-/opt/torch/.venv}"
DEVICE="${DEVICE:-cuda}"
TEST_CUDA="${SKIFF_TEST_CUDA:-ON}"
JOBS="${JOBS:-$(nproc)}"

TORCH_ARGS=()
if [[ -n "${TORCH_DIR:-}" ]]; then
  # CMake's own variable for find_package(Torch): that libtorch and no other.
  [[ -f "$TORCH_DIR/TorchConfig.cmake" ]] || {
    echo "run.sh: TORCH_DIR=$TORCH_DIR has no TorchConfig.cmake" >&2
    exit 2
  }
  TORCH_ARGS=(-DTorch_DIR="$TORCH_DIR")
elif [[ -z "${TORCH_PREFIX:-}" ]]; then
  if [[ ! -x "$VENV/bin/python" ]]; then
    echo "run.sh: no Python at $VENV/bin/python; set TORCH_VENV or TORCH_PREFIX" >&2
    exit 2
  fi
  TORCH_PREFIX="$("$VENV/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  echo "torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)')"
fi
[[ ${#TORCH_ARGS[@]} -gt 0 ]] || TORCH_ARGS=(-DCMAKE_PREFIX_PATH="$TORCH_PREFIX")
echo "${TORCH_ARGS[*]}  device=$DEVICE  SKIFF_TEST_CUDA=$TEST_CUDA"

GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S "$HERE" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
  "${TORCH_ARGS[@]}" -DSKIFF_TEST_CUDA="$TEST_CUDA"
cmake --build "$BUILD" -j "$JOBS"

status=0
if [[ -f "$BUILD/CTestTestfile.cmake" ]] && ls "$BUILD"/bin/skiff_*_test >/dev/null 2>&1; then
  SKIFF_TEST_DEVICE="$DEVICE" ctest --test-dir "$BUILD" --output-on-failure -j 4 \
    --timeout 120 || status=$?
else
  echo "run.sh: tests were not built (see the CMake warning above)" >&2
  status=3
fi
"$BUILD/bin/skiff_bench_accel_floor" "$DEVICE" || status=$?
exit "$status"
