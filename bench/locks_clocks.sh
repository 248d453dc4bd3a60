#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Mutex locks and steady_clock reads per request, by caller, from a callgrind
# file that bench/profile.py left (issue 20.5, ninth session):
#
#   bench/profile.py --rows mlp-key-c16 --duration 4 --tmp /tmp/skiff-profile
#   bench/locks_clocks.sh /tmp/skiff-profile/callgrind.mlp-key-c16.out REQUESTS
#   bench/locks_clocks.sh FILE REQUESTS 'DataPlane::Current'   # any other function
#
# REQUESTS: the row's request count as profile.py printed it. Prints the
# callers of pthread_mutex_lock and of steady_clock::now (or of the one
# function named), each with its calls per request, and the TOTAL. Also the
# share of requests scored inline (InlineJob::Run per request): the
# inline and the worker path differ by ~3 locks and ~1 clock read, and the
# share moves from run to run, so compare figures of the same share or per
# caller. A caller inlined into its own caller is listed as that one.
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 CALLGRIND_FILE REQUESTS [FUNCTION_REGEX]" >&2
  exit 2
fi
file=$1
requests=$2
tree=$(mktemp)
trap 'rm -f "$tree"' EXIT
callgrind_annotate --tree=caller "$file" 2>/dev/null > "$tree"

# Calls of the function matching $1 per request, by caller ("< caller" lines
# above its "* function" line in callgrind_annotate's caller tree).
callers() {
  local line start
  line=$(grep -n "\* .*$1" "$tree" | head -1 | cut -d: -f1)
  if [ -z "$line" ]; then
    echo "  (no calls of $1)"
    return
  fi
  start=$line
  while [ "$start" -gt 1 ] && sed -n "$((start - 1))p" "$tree" | grep -q "<"; do
    start=$((start - 1))
  done
  # Tabs around the call count: names may hold '#' (lambdas: {lambda()#1}).
  sed -n "${start},$((line - 1))p" "$tree" | sed 's/ (\([0-9,]*\)x) /\t\1\t/' |
    awk -F'\t' -v r="$requests" '{
      gsub(",", "", $2); t += $2 / r
      name = $1; sub(/^[^<]*< [^:]*:/, "", name); gsub(/\(anonymous namespace\)::/, "", name)
      while (gsub(/<[^<>]*>/, "", name) > 0) {}  # template arguments
      sub(/\(.*/, "", name)
      printf "%7.2f/req  %s\n", $2 / r, substr(name, 1, 110)
    } END { printf "%7.2f/req  TOTAL\n", t }' | sort -rn
}

if [ $# -eq 3 ]; then
  echo "calls of $3:"
  callers "$3"
  exit 0
fi
echo "mutex locks (pthread_mutex_lock):"
callers 'pthread_mutex_lock@@'
echo "clock reads (steady_clock::now):"
callers 'steady_clock::now'
echo "scored inline (InlineJob::Run):"
callers 'ScoringPool::InlineJob::Run()' | tail -1
