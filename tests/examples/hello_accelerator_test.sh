#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs skiff into a temp prefix, builds examples/hello-accelerator against
# it with find_package(skiff), then loads and scores the plugin.
set -euo pipefail
build=$1 src=$2 cmake=$3 cxx_flags=${4:-} shared_linker_flags=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The `core` component: programs, plugins and the plugin kit (the SDK is
# the `sdk` component, tests/examples/sdk_app_test.sh).
"$cmake" --install "$build" --prefix "$work/prefix" --component core >/dev/null
# Only the plugin-facing headers are installed, exactly the list in
# docs/writing-a-plugin.md, and each one compiles on its own from the prefix.
installed=$(cd "$work/prefix/include" && find skiff -name '*.h' | sort)
documented=$(sed -n '/<!-- installed-headers -->/,/<!-- \/installed-headers -->/p' \
  "$src/docs/writing-a-plugin.md" | grep -o 'skiff/[a-z0-9_/]*\.h' | sort -u)
if [ "$installed" != "$documented" ]; then
  echo "installed headers differ from docs/writing-a-plugin.md (< documented, > installed):" >&2
  diff <(echo "$documented") <(echo "$installed") >&2 || true
  exit 1
fi
for header in $installed; do
  echo "#include \"$header\"" | "${CXX:-c++}" -std=c++17 -fsyntax-only -I"$work/prefix/include" -x c++ - \
    || { echo "installed $header does not compile alone" >&2; exit 1; }
done
"$cmake" -S "$src/examples/hello-accelerator" -B "$work/hello" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_SHARED_LINKER_FLAGS="$shared_linker_flags" >/dev/null
"$cmake" --build "$work/hello"
plugin="$work/hello/libskiff_accelerator_hello.so"
test -f "$plugin"
# Only the entry point is exported.
exports=$(nm -D --defined-only "$plugin" | awk '$2 ~ /^[TDWBR]$/ {print $3}' | sort -u)
if [ "$exports" != "skiff_plugin_init" ]; then
  echo "expected only skiff_plugin_init exported, got: $exports" >&2
  exit 1
fi
# The installed CLI lists it from SKIFF_PLUGIN_PATH.
SKIFF_PLUGIN_PATH="$work/hello" "$work/prefix/bin/skiff" plugins list --output json > "$work/list.json"
grep -q '"name": "hello"' "$work/list.json" || { cat "$work/list.json" >&2; exit 1; }
# Load and score through the plugin host.
SKIFF_TEST_HELLO_PLUGIN="$plugin" "$build/tests/hello_plugin_test" --gtest_also_run_disabled_tests
