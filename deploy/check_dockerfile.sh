#!/usr/bin/env bash
# check_dockerfile.sh <source-dir> <binary-dir>: the checks a machine without
# a container engine can make of deploy/Dockerfile:
#  - every COPY source exists (build/... is looked up in <binary-dir>);
#  - the ENTRYPOINT binary is one that is copied;
#  - the plugins skiff-server loads in a pod are in the copied plugin folder;
#  - every shared library the copied ELF files need comes from a Debian
#    package the Dockerfile installs or the debian:12-slim base image has
#    (needs dpkg, i.e. a Debian build machine).
set -euo pipefail
src=$1
bin=$2
dockerfile="$src/deploy/Dockerfile"
fail=0
err() { echo "check_dockerfile: $*" >&2; fail=1; }

# Join continuation lines, keep instructions only.
instructions=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile" | grep -v '^[[:space:]]*#')

copied=()
dests=()
while read -r line; do
  # COPY [--flags] <src>... <dest>
  read -r -a words <<<"$line"
  args=()
  for w in "${words[@]:1}"; do [[ $w == --* ]] || args+=("$w"); done
  [ ${#args[@]} -ge 2 ] || { err "malformed COPY: $line"; continue; }
  dest=${args[-1]}
  for s in "${args[@]:0:${#args[@]}-1}"; do
    case $s in
      build/*) path="$bin/${s#build/}" ;;
      *) path="$src/$s" ;;
    esac
    path=${path%/}
    if [ ! -e "$path" ]; then
      err "COPY source '$s' does not exist ($path); build it first (./scripts/build)"
      continue
    fi
    copied+=("$path")
    if [ -d "$path" ]; then dests+=("${dest%/}/"); else dests+=("$dest"); fi
  done
done < <(grep -E '^COPY[[:space:]]' <<<"$instructions")
[ ${#copied[@]} -gt 0 ] || err "no COPY instruction found"

entry=$(grep -E '^ENTRYPOINT' <<<"$instructions" | sed -E 's/^ENTRYPOINT[[:space:]]*\["([^"]+)".*/\1/')
found=0
for d in "${dests[@]}"; do
  [[ $d == "$entry" || ( $d == */ && $entry == "$d"* ) ]] && found=1
done
[ $found -eq 1 ] || err "ENTRYPOINT '$entry' is not a path the Dockerfile copies"

plugins="$bin/lib/skiff/plugins"
for p in libskiff_accelerator_torch.so libskiff_auth_default.so; do
  [ -f "$plugins/$p" ] || err "plugin $p is missing from $plugins (the pods load it)"
done

installed=$(grep -E '^RUN' <<<"$instructions" | grep -o 'apt-get install[^&]*' | tr ' ' '\n' |
            grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install)$' || true)
base="libc6 libstdc++6 libgcc-s1 zlib1g libzstd1 liblzma5 libbz2-1.0 libselinux1 libpcre2-8-0"
if command -v dpkg >/dev/null && command -v readelf >/dev/null; then
  while IFS= read -r -d '' f; do
    file -b "$f" 2>/dev/null | grep -q ELF || [[ $f == *.so ]] || [[ $f == */skiff-server ]] || continue
    resolved=$(ldd "$f" 2>/dev/null || true)
    for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [[ $lib == ld-linux* ]] && continue  # the dynamic loader, part of libc6
      path=$(awk -v l="$lib" '$1 == l && $2 == "=>" {print $3}' <<<"$resolved")
      pkg=""
      for candidate in "$path" "/usr$path" "${path#/usr}"; do
        [ -n "$candidate" ] && [ -n "$path" ] || continue
        pkg=$(dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$pkg" ] && break
      done
      if [ -z "$pkg" ]; then err "$(basename "$f") needs $lib, which no Debian package provides"; continue; fi
      grep -qxF "$pkg" <<<"$installed"$'\n'"${base// /$'\n'}" ||
        err "$(basename "$f") needs $lib from Debian package $pkg: add it to deploy/Dockerfile's apt-get install"
    done
  done < <(find "${copied[@]}" -type f -print0)
else
  echo "check_dockerfile: dpkg/readelf not found; library check not run" >&2
  fail=1
fi

[ $fail -eq 0 ] && echo "check_dockerfile: ${#copied[@]} COPY source(s) present; ENTRYPOINT $entry; libraries covered by: $(echo $installed)"
exit $fail
