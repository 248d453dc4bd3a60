#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 23 item 5: the SDK installs as a package an application builds
# against. Installs the `sdk` component alone into a temp prefix, checks
# each installed header compiles alone, builds examples/sdk-app with
# find_package(skiff COMPONENTS sdk) and with pkg-config, runs both, and
# checks that no installed binary carries a path of the build or source tree.
set -euo pipefail
build=$1 src=$2 cmake=$3 cxx_flags=${4:-} shared_linker_flags=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" --component sdk >/dev/null

# The package is complete without the `core` component: config, targets, .pc.
for f in lib/cmake/skiff/skiffConfig.cmake lib/cmake/skiff/skiffSdkTargets.cmake \
         lib/pkgconfig/skiff.pc lib/libskiff_sdk.so; do
  test -e "$prefix/$f" || { echo "the sdk component did not install $f" >&2; exit 1; }
done
for header in $(cd "$prefix/include" && find skiff -name '*.h' | sort); do
  echo "#include \"$header\"" | "${CXX:-c++}" -std=c++17 -fsyntax-only -I"$prefix/include" -x c++ - \
    || { echo "installed $header does not compile alone" >&2; exit 1; }
done

# 1. CMake: find_package(skiff REQUIRED COMPONENTS sdk), target skiff::sdk.
"$cmake" -S "$src/examples/sdk-app" -B "$work/app" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$shared_linker_flags" >/dev/null
"$cmake" --build "$work/app" >/dev/null
# A component that does not exist is refused by name.
mkdir -p "$work/nocomp"
cat > "$work/nocomp/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(nocomp LANGUAGES CXX)
find_package(skiff REQUIRED COMPONENTS gui)
CM
if "$cmake" -S "$work/nocomp" -B "$work/nocomp/b" -DCMAKE_PREFIX_PATH="$prefix" >"$work/nocomp.log" 2>&1; then
  echo "find_package(skiff COMPONENTS gui) succeeded" >&2; exit 1
fi
grep -q "no component 'gui'" "$work/nocomp.log" || { cat "$work/nocomp.log" >&2; exit 1; }

# 2. pkg-config.
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --exists skiff
"${CXX:-c++}" -std=c++17 $cxx_flags "$src/examples/sdk-app/main.cc" -o "$work/app-pc" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs skiff) \
  -Wl,-rpath,"$prefix/lib" $shared_linker_flags

# Both run: a workspace, a registered model, typed configs, printed errors.
printf 'weights' > "$work/model.pt"
for app in "$work/app/sdk_app" "$work/app-pc"; do
  rm -rf "$work/ws"
  out=$(env -u SKIFF_WORKSPACE "$app" "$work/ws" "$work/model.pt")
  for expected in "registered app-model:1" "without outputs: INVALID_ARGUMENT: " \
                  '"accelerator":"torch"' "deployment config ok: 1" \
                  "negative cpu: INVALID_ARGUMENT: " "cpu" "models named app-model: 1"; do
    grep -qF -- "$expected" <<<"$out" || { echo "$app: no '$expected' in:" >&2; echo "$out" >&2; exit 1; }
  done
done

# 3. No build-tree or source-tree path in what is installed: not in RUNPATH
# (CMake's build RPATH is replaced by $ORIGIN/../lib at install), not in
# the code or data. Debug info, which records where it was compiled by
# design, is left out of the check (a sanitizer build has it).
"$cmake" --install "$build" --prefix "$work/core" --component core >/dev/null
for f in "$prefix/lib/libskiff_sdk.so" $(find "$work/core/bin" "$work/core/lib" -type f \( -perm -u+x -o -name '*.so*' \)); do
  readelf -h "$f" >/dev/null 2>&1 || continue
  runpath=$(readelf -d "$f" | grep -E 'RPATH|RUNPATH' || true)
  for tree in "$build" "$src"; do
    if grep -qF "$tree" <<<"$runpath"; then
      echo "$f: RUNPATH names the build tree: $runpath" >&2; exit 1
    fi
  done
  objcopy --strip-debug "$f" "$work/stripped"
  # To a file first: `strings | grep -q` under pipefail would read a match
  # as a failure (strings killed by SIGPIPE) and pass.
  strings -a "$work/stripped" > "$work/strings.txt"
  for tree in "$build" "$src"; do
    if grep -F "$tree" "$work/strings.txt" > "$work/found.txt"; then
      echo "$f holds the path $tree:" >&2
      head -5 "$work/found.txt" >&2
      exit 1
    fi
  done
done
echo "sdk package: ok"
