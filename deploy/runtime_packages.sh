#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# runtime_packages.sh DIR: the Debian packages whose shared libraries the
# ELF files under DIR load (ldd, the loader's own answer; owners from one
# dpkg -S), one a line, sorted. What deploy/Dockerfile's runtime stage
# installs, so it carries the runtime closure and nothing of the build.
# Fails naming the file and library when one is not found or belongs to no
# package (a library from outside Debian, e.g. a CUDA libtorch from a wheel:
# docs/oci.md § Another libtorch).
set -euo pipefail
dir=$1
fail=0
declare -A needs=()  # library path -> a file that loads it
while IFS= read -r -d '' f; do
  head -c 4 "$f" | grep -q $'\x7fELF' || continue
  while read -r lib arrow path _; do
    [ "$arrow" = "=>" ] || continue
    if [ "$path" = "not" ]; then
      echo "runtime_packages: $f needs $lib, which the loader does not find" >&2
      fail=1
      continue
    fi
    [[ $path == "$dir"/* ]] || needs[$path]=$f
  done < <(ldd "$f" 2>/dev/null || true)
done < <(find "$dir" -type f -print0)
[ ${#needs[@]} -gt 0 ] || { echo "runtime_packages: no shared library found under $dir" >&2; exit 1; }

# A merged /usr: the loader may name /lib/... where dpkg knows /usr/lib/...
# (or the reverse), and a symlink's target where dpkg knows the link.
declare -A candidates=()
for path in "${!needs[@]}"; do
  real=$(readlink -f "$path")
  for c in "$path" "$real" "/usr$path" "${path#/usr}" "/usr$real" "${real#/usr}"; do
    candidates[$c]=1
  done
done
declare -A owner=()
while IFS= read -r line; do
  owner[${line#*: }]=${line%%:*}
done < <(dpkg -S "${!candidates[@]}" 2>/dev/null | grep -v '^diversion' || true)

declare -A pkgs=()
for path in "${!needs[@]}"; do
  real=$(readlink -f "$path")
  pkg=""
  for c in "$path" "$real" "/usr$path" "${path#/usr}" "/usr$real" "${real#/usr}"; do
    [ -n "${owner[$c]:-}" ] && { pkg=${owner[$c]}; break; }
  done
  if [ -z "$pkg" ]; then
    echo "runtime_packages: $(basename "${needs[$path]}") needs $path, which no Debian package provides" >&2
    fail=1
    continue
  fi
  pkgs[$pkg]=1
done
[ $fail -eq 0 ] || exit 1
printf '%s\n' "${!pkgs[@]}" | sort
