#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Size of the skiff-server image `skiff image build` writes (no Docker)
# against the Debian package closure deploy/Dockerfile installs. Run from the
# repository root after ./scripts/build; prints a markdown table (docs/oci.md
# quotes it). Reproducibility: builds twice and compares the manifest digests.
#   bench/oci_image_size.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
skiff=$build/bin/skiff
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$skiff" image build --output-dir "$tmp/a" --output json > "$tmp/a.json" 2>/dev/null
"$skiff" image build --output-dir "$tmp/b" --output json > "$tmp/b.json" 2>/dev/null
digest_a=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["digest"])' "$tmp/a.json")
digest_b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["digest"])' "$tmp/b.json")

# Compressed: the blobs; uncompressed: the tar streams (what a node unpacks).
read -r compressed uncompressed files < <(python3 - "$tmp/a" "$tmp/a.json" <<'PY'
import gzip, json, sys, tarfile
layout, report = sys.argv[1], json.load(open(sys.argv[2]))
compressed = uncompressed = files = 0
for layer in report[0]["layers"]:
    path = f"{layout}/blobs/sha256/{layer['digest'][7:]}"
    compressed += layer["size"]
    with tarfile.open(path, "r:gz") as tar:
        for m in tar:
            uncompressed += m.size
            files += m.isfile()
print(compressed, uncompressed, files)
PY
)

# The Dockerfile's packages and everything they depend on (installed here),
# Installed-Size in KiB; the debian:12-slim base comes on top of it.
pkgs=$(sed -n '/apt-get install/,/rm -rf/p' deploy/Dockerfile | tr ' \\' '\n\n' |
       grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|y|no|recommends)$' || true)
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances $pkgs 2>/dev/null | grep -E '^[a-z0-9]' | sort -u)
kib=0
count=0
for p in $closure; do
  s=$(dpkg-query -Wf '${Installed-Size}' "$p" 2>/dev/null || true)
  [ -n "$s" ] && kib=$((kib + s)) && count=$((count + 1))
done

echo "| | bytes | MiB |"
echo "|---|---|---|"
echo "| skiff image build: layers, gzip (what a registry stores and a node pulls) | $compressed | $((compressed / 1048576)) |"
echo "| skiff image build: layers unpacked ($files files) | $uncompressed | $((uncompressed / 1048576)) |"
echo "| deploy/Dockerfile: installed size of its $count packages with their dependencies (dpkg Installed-Size), before debian:12-slim and the skiff files | $((kib * 1024)) | $((kib / 1024)) |"
echo
echo "packages: $(echo $pkgs)"
if [ "$digest_a" = "$digest_b" ]; then
  echo "reproducible: two builds, one manifest digest $digest_a"
else
  echo "NOT reproducible: $digest_a vs $digest_b" >&2
  exit 1
fi
