#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check_dockerfile.sh <source-dir> <binary-dir>: the checks a machine without
# a container engine can make of deploy/Dockerfile (a two-stage build from a
# clean checkout):
#  - every COPY from the build context names a path git tracks (or the
#    context root), never a host build folder; .dockerignore keeps build
#    folders and .git out of the context;
#  - the build stage installs only packages scripts/deps lists, and the
#    scripts its RUN lines call are tracked and executable;
#  - deploy/build_server.sh configures a copy of the tracked files alone
#    (tests and benchmarks off), as the build stage does;
#  - runtime_packages.sh finds a Debian package for every library the
#    server and the pods' plugins of <binary-dir> load, libtorch's among them
#    (what the runtime stage installs);
#  - the ENTRYPOINT is under the copied /opt/skiff; the runtime stage runs as
#    10001 and carries the licence label.
set -euo pipefail
src=$(cd "$1" && pwd)
bin=$(cd "$2" && pwd)
dockerfile="$src/deploy/Dockerfile"
fail=0
err() { echo "check_dockerfile: $*" >&2; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Join continuation lines, keep instructions only.
instructions=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile" | grep -v '^[[:space:]]*#')
tracked=$(git -C "$src" ls-files)

# 1. COPY sources from the context.
copies=0
while read -r line; do
  read -r -a words <<<"$line"
  args=()
  from=0
  for w in "${words[@]:1}"; do
    [[ $w == --from=* ]] && from=1
    [[ $w == --* ]] || args+=("$w")
  done
  [ $from -eq 0 ] || continue
  [ ${#args[@]} -ge 2 ] || { err "malformed COPY: $line"; continue; }
  for s in "${args[@]:0:${#args[@]}-1}"; do
    copies=$((copies + 1))
    s=${s#./}
    s=${s%/}
    case $s in
      build | build/* | build-*) err "COPY '$s' takes a host build folder; the image builds from the sources" ;;
      . | "") ;;
      *) grep -qxF "$s" <<<"$tracked" || grep -q "^$s/" <<<"$tracked" ||
           err "COPY source '$s' is not a tracked path of a clean checkout (git ls-files)" ;;
    esac
  done
done < <(grep -E '^COPY[[:space:]]' <<<"$instructions")
[ $copies -gt 0 ] || err "no COPY from the build context"
if grep -qE '(^|[[:space:]])/?build/' <<<"$(grep -vE '^COPY[[:space:]]+--from' <<<"$instructions" | grep -vE 'build_server\.sh')"; then
  err "an instruction refers to build/ of the host"
fi
for ignored in .git build; do
  grep -qxF "$ignored" "$src/.dockerignore" || err ".dockerignore does not leave out '$ignored'"
done

# 2. Build-stage packages are scripts/deps' packages.
stage1=$(awk '/^FROM/{n++} n==1' <<<"$instructions")
wanted=$(grep -E '^RUN' <<<"$stage1" | grep -o 'apt-get install[^&;]*' | tr ' ' '\n' |
         grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install)$' || true)
deps=$(sed -n '/^SKIFF_PACKAGES=(/,/^)/p' "$src/scripts/deps" | sed 's/#.*//' | tr ' ' '\n' |
       grep -E '^[a-z0-9][a-z0-9.+-]+$' || true)
[ -n "$wanted" ] || err "the build stage installs no package"
for p in $wanted; do
  grep -qxF "$p" <<<"$deps" || err "the build stage installs $p, which scripts/deps does not list"
done
for script in $(grep -oE 'deploy/[A-Za-z0-9_.-]+\.sh' <<<"$instructions" | sort -u); do
  grep -qxF "$script" <<<"$tracked" || err "$script (called by a RUN) is not tracked"
  [ -x "$src/$script" ] || err "$script is not executable"
done

# 3. The build stage's configure on the tracked files alone.
mkdir -p "$tmp/src"
(cd "$src" && git ls-files -z | xargs -0 cp --parents -t "$tmp/src")
if ! "$src/deploy/build_server.sh" "$tmp/src" "$tmp/build" "$tmp/out" --configure-only \
    >"$tmp/configure.log" 2>&1; then
  tail -n 20 "$tmp/configure.log" >&2
  err "deploy/build_server.sh does not configure a clean checkout"
fi

# 4. The runtime stage's packages, from this build's files.
mkdir -p "$tmp/opt/bin" "$tmp/opt/plugins"
cp "$bin/bin/skiff-server" "$tmp/opt/bin/"
for p in libskiff_accelerator_torch.so libskiff_auth_default.so; do
  if [ -f "$bin/lib/skiff/plugins/$p" ]; then
    cp "$bin/lib/skiff/plugins/$p" "$tmp/opt/plugins/"
  else
    err "plugin $p is missing from $bin/lib/skiff/plugins (the pods load it)"
  fi
done
if packages=$("$src/deploy/runtime_packages.sh" "$tmp/opt"); then
  for p in libtorch1.13 libssl3 libstdc++6; do
    grep -qxF "$p" <<<"$packages" || err "runtime_packages.sh did not find $p"
  done
else
  err "runtime_packages.sh failed"
fi

# 5. What the image runs.
entry=$(grep -E '^ENTRYPOINT' <<<"$instructions" | sed -E 's/^ENTRYPOINT[[:space:]]*\["([^"]+)".*/\1/')
[[ $entry == /opt/skiff/* ]] || err "ENTRYPOINT '$entry' is not under the copied /opt/skiff"
runtime=$(awk '/^FROM/{n++} n==2' <<<"$instructions")
grep -qE '^COPY --from=build /out/opt/skiff/ /opt/skiff/' <<<"$runtime" ||
  err "the runtime stage does not copy /out/opt/skiff from the build stage"
grep -qE '^USER 10001:10001' <<<"$runtime" || err "the runtime stage does not run as 10001:10001"
grep -q 'org.opencontainers.image.licenses="Apache-2.0"' <<<"$runtime" ||
  err "the runtime stage has no org.opencontainers.image.licenses label"

[ $fail -eq 0 ] && echo "check_dockerfile: $copies COPY source(s) tracked; clean checkout configures; runtime packages: $(wc -l <<<"$packages")"
exit $fail
