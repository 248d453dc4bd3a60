#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# build_server.sh SRC BUILD OUT [--configure-only]: deploy/Dockerfile's build
# stage. Configures SRC (a clean checkout) into BUILD without tests or
# benchmarks, builds skiff-server and the plugins a pod loads (the torch
# accelerator, the default auth plugin, and with SKIFF_WITH_XRT=ON the FPGA
# accelerator), installs them under OUT/opt/skiff, and writes the Debian
# packages they load to OUT/runtime-packages (runtime_packages.sh).
# SKIFF_CMAKE_ARGS adds configure arguments (e.g. -DTorch_DIR=...).
# --configure-only stops after configuring (ctest -R DeployDockerfile).
set -euo pipefail
src=$1
build=$2
out=$3
mode=${4:-}
with_xrt=${SKIFF_WITH_XRT:-OFF}
# shellcheck disable=SC2086  # SKIFF_CMAKE_ARGS is a list of arguments
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSKIFF_BUILD_TESTS=OFF -DSKIFF_BUILD_BENCH=OFF -DSKIFF_WITH_XRT="$with_xrt" \
  ${SKIFF_CMAKE_ARGS:-}
[ "$mode" = --configure-only ] && exit 0
targets=(skiff-server skiff_auth_default skiff_accelerator_torch)
[ "$with_xrt" = ON ] && targets+=(skiff_accelerator_fpga)
cmake --build "$build" --target "${targets[@]}" -j "$(nproc)"
install -d "$out/opt/skiff/bin" "$out/opt/skiff/lib/skiff/plugins"
install -m 0755 "$build/bin/skiff-server" "$out/opt/skiff/bin/"
install -m 0755 "$build"/lib/skiff/plugins/libskiff_accelerator_*.so \
  "$build"/lib/skiff/plugins/libskiff_auth_*.so "$out/opt/skiff/lib/skiff/plugins/"
"$src/deploy/runtime_packages.sh" "$out/opt/skiff" >"$out/runtime-packages"
