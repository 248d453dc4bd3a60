#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs README.md's "## The workflow" block as a newcomer would: extracted
# from the README at test time (not a copy), with bash -e, in a fresh empty
# directory that is also $HOME, with no SKIFF_WORKSPACE (so the workspace is
# the relative default ./.skiff). It must score, and every path skiff wrote
# into a service's server.json must be absolute (the supervisor runs from /).
#   readme_workflow_test.sh README.md     (env: SKIFF = the built CLI, SKIFF_SRC = the checkout)
set -euo pipefail
readme=$1
: "${SKIFF:?set SKIFF to the built skiff binary}" "${SKIFF_SRC:?set SKIFF_SRC to the checkout}"

block=$(awk '/^## The workflow$/ {sec = 1; next}
             sec && /^## /       {exit}
             sec && /^```sh$/    {code = 1; next}
             code && /^```$/     {exit}
             code                {print}' "$readme")
if [ -z "$block" ]; then
  echo "FAIL: no \`\`\`sh block under '## The workflow' in $readme" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/skiff-readme-XXXXXX")
skiff_here() { (cd "$work" && env -u SKIFF_WORKSPACE HOME="$work" "$SKIFF" "$@"); }
cleanup() {
  # Whatever the block started, even when it failed half-way.
  if [ -d "$work/.skiff" ]; then
    for name in $(skiff_here service list -o json 2>/dev/null |
                  python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)))' \
                  2>/dev/null); do
      skiff_here service delete -n "$name" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# server.json is removed with the service, so look while my-svc still runs:
# run the block up to (not including) its first `service delete`.
before_delete=$(printf '%s\n' "$block" | awk '/service delete/ {exit} {print}')
after_delete=$(printf '%s\n' "$block" | awk '/service delete/ {on = 1} on {print}')
prelude=$(printf '%s\n' "$block" | awk '/^[a-z]+=/ {print}')  # the block's variables

status=0
(cd "$work" && env -u SKIFF_WORKSPACE HOME="$work" bash -e -c "$before_delete") \
  >"$work/out" 2>"$work/err" || status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: the README block (up to its first delete) exited $status in an empty directory" >&2
  echo "--- stdout" >&2; cat "$work/out" >&2
  echo "--- stderr" >&2; cat "$work/err" >&2
  exit 1
fi

scores=$(grep -cE '^\{"result": ?\[\[' "$work/out" || true)
if [ "$scores" -lt 1 ]; then
  echo "FAIL: no scoring result in the block's output" >&2
  cat "$work/out" >&2
  exit 1
fi

python3 - "$work/.skiff/services" <<'EOF'
import json, os, sys
root = sys.argv[1]
configs = [os.path.join(root, d, "server.json") for d in sorted(os.listdir(root))]
assert configs, "no service directories under " + root
def paths(j):
    yield j.get("portFile"), "portFile"
    yield j.get("requestLog"), "requestLog"
    yield j.get("dataCollectionDir"), "dataCollectionDir"
    yield j["auth"]["options"].get("keysDir"), "auth.options.keysDir"
    for v in j["versions"]:
        yield v.get("artifactPath"), "versions[].artifactPath"
for c in configs:
    j = json.load(open(c))
    for p, field in paths(j):
        assert p and os.path.isabs(p), "%s: %s is %r, not an absolute path" % (c, field, p)
print("server.json paths absolute in %d service(s)" % len(configs))
EOF

status=0
(cd "$work" && env -u SKIFF_WORKSPACE HOME="$work" bash -e -c "$prelude
$after_delete") >>"$work/out" 2>>"$work/err" || status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: the README block's deletes exited $status" >&2
  cat "$work/err" >&2
  exit 1
fi
echo "README workflow block ran verbatim in $work and scored $scores time(s)"
