#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The worked example of docs/rollout.md "The report": a local endpoint with
# versions a (control) and b (20 %) keyed by x-user-id, 1,000 requests from
# distinct users (every 50th a body of the wrong shape: a 400), a two-event
# rollout history, then `skiff endpoint report` as a table and as a page.
# Run from the repository root after a build; writes ./endpoint-report.html.
#   bench/endpoint_report.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(pwd)
export SKIFF_WORKSPACE
SKIFF_WORKSPACE=$(mktemp -d)/ws
skiff="$build/bin/skiff"
trap '"$skiff" endpoint delete -n shop >/dev/null 2>&1 || true; rm -rf "$(dirname "$SKIFF_WORKSPACE")"' EXIT
ic="$src/examples/quickstart/inferenceconfig.json"
"$skiff" model register -n ranker -p "$src/tests/fixtures/models/mlp.pt" >/dev/null
"$skiff" computetarget create local -n local >/dev/null
"$skiff" endpoint create -n shop -ct local --version-name a -m ranker:1 -ic "$ic" \
  --routing-key-header x-user-id --is-control-version-type true >/dev/null 2>&1
"$skiff" endpoint create-version -n shop --version-name b -m ranker:1 -ic "$ic" \
  --traffic-percentile 20 >/dev/null
uri=$("$skiff" endpoint show -n shop -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["scoringUri"])')
# The key goes to python on stdin, never on a command line.
"$skiff" endpoint get-keys -n shop --query primaryKey -o tsv | python3 -c '
import sys, urllib.request, urllib.error
uri, key = sys.argv[1], sys.stdin.read().strip()
good, bad = b"{\"data\": [[0.1, 0.2, 0.3, 0.4]]}", b"{\"data\": [[0.1]]}"
for i in range(1000):
    req = urllib.request.Request(uri, data=bad if i % 50 == 7 else good, headers={
        "Authorization": "Bearer " + key, "x-user-id": "user-%d" % i,
        "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError as e:
        e.read()
' "$uri"
mkdir -p "$SKIFF_WORKSPACE/rollouts"
now=$(date -u +%Y-%m-%dT%H:%M:%S)
cat > "$SKIFF_WORKSPACE/rollouts/shop.jsonl" <<EOT
{"time":"${now}.000Z","endpoint":"shop","version":"b","event":"started","step":0,"trafficPercentile":5}
{"time":"${now}.500Z","endpoint":"shop","version":"b","event":"stepped","step":1,"trafficPercentile":20,"gate":"errorRate","observed":0.0,"limit":0.01,"requests":212}
EOT
"$skiff" endpoint report -n shop --html endpoint-report.html
