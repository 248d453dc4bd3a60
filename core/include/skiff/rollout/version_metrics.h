// SPDX-License-Identifier: Apache-2.0
// A progressive rollout's measurements, read from the router's own metrics
// (`GET /metrics` on the server's metrics listener, docs/rollout.md):
// per version, the skiff_requests_total counters by status code and the
// skiff_request_duration_seconds histogram. Counters only grow while the
// server runs, so a step's window is "now minus the reading at the step's
// start"; a server restart resets them, which WindowOf() notices.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/rollout_policy.h"
#include "skiff/status.h"

namespace skiff {

// One version's cumulative counters at one reading.
struct VersionCounters {
  int64_t requests = 0;  // every status code
  int64_t errors = 0;    // 5xx (a timeout answers 504)
  // The duration histogram: upper bound in seconds (+Inf last) and the
  // cumulative count of requests at or under it.
  std::vector<std::pair<double, int64_t>> buckets;
};

// One reading of one server's /metrics.
struct ServerReading {
  // process_start_time_seconds: a different value means another server
  // process (a restart), whose counters began again from zero.
  double server_start_seconds = 0;
  std::map<std::string, VersionCounters> versions;  // by version name
};

// The readings of every server that routes the endpoint's requests, taken
// together: the local target's one skiff-server ("server"), or each router
// pod on Kubernetes (by pod name), since each counts only what it routed.
struct MetricsReading {
  std::map<std::string, ServerReading> servers;
};

// True when `now` comes from another server process than `start` (its start
// time differs) or any counter of `now` is below `start`'s.
bool ServerRestarted(const ServerReading& start, const ServerReading& now);

// Parses Prometheus text exposition; keeps the series whose `service` label
// is `service` (all services when empty). kInvalidArgument naming the line
// for a sample that does not parse.
StatusOr<ServerReading> ParseMetricsReading(std::string_view text, std::string_view service = {});

// The figures between `start` and `now` for `version`, summed over the
// servers. For a server that restarted (ServerRestarted) or was not there at
// `start` (a new router pod) the window is its `now` alone: what it answered
// since it started. A server gone since `start` adds nothing.
VersionMeasurement WindowOf(const std::string& version, const MetricsReading& start,
                            const MetricsReading& now);

// The 0.99 quantile of a cumulative histogram, in milliseconds, interpolated
// linearly inside the bucket it falls in (Prometheus' histogram_quantile):
// exact to the width of that bucket. Past the last finite bound it is that
// bound. Empty for an empty histogram.
std::optional<double> P99MsFromBuckets(const std::vector<std::pair<double, int64_t>>& buckets);

}  // namespace skiff
