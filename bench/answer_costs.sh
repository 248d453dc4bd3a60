#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Instructions per request, inclusive, of the answer path's pieces (issue 20,
# eighth session), from a callgrind file that bench/profile.py left:
#
#   bench/profile.py --rows mlp-key-c16 --duration 4 --tmp /tmp/skiff-profile
#   bench/answer_costs.sh /tmp/skiff-profile/callgrind.mlp-key-c16.out REQUESTS
#
# REQUESTS: the row's request count as profile.py printed it. Functions the
# compiler inlined into their caller are not listed (their cost is the
# caller's).
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 CALLGRIND_FILE REQUESTS" >&2
  exit 2
fi
callgrind_annotate --threshold=100 --inclusive=yes "$1" 2>/dev/null | awk -v n="$2" '
/PROGRAM TOTALS/ { c = $1; gsub(",", "", c); printf "%8d  whole process\n", c / n }
/^ *[0-9,]+ \(/ {
  c = $1; gsub(",", "", c); s = $0; sub(/^[^:]*:/, "", s); sub(/\(.*/, "", s)
  if (s ~ /^skiff::dataplane::(ScoringPool::Job::Finish|DataPlane::Finish|RespondScored|DataPlane::Answered|SerializeAnswerHeader|AccessLog::Record|FormatAccessLine|RequestIds::For|RequestIds::Fresh)$/ ||
      s ~ /^skiff::protocol::(EncodeInferResponse|AppendTensorList)$/ || s ~ /^skiff::log::PutJsonString$/ ||
      s ~ /^skiff::metrics::Histogram::Observe$/ || s ~ /^operator (new|delete)$/) {
    if (!seen[s]++) printf "%8d  %s\n", c / n, s
  }
  # The HTTP server writing the answer on the I/O thread (Session is a template).
  if ($0 ~ /::Session<.*> >::Write\(boost/ && !seen["Session::Write"]++) printf "%8d  %s\n", c / n, "HttpServer Session::Write"
}'
