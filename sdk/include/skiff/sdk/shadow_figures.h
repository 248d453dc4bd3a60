// SPDX-License-Identifier: Apache-2.0
// The shadow-traffic figures of an endpoint (docs/rollout.md#shadow-traffic),
// summed from the skiff_shadow_* series its server serves on the metrics
// listener (skiff/metrics/shadow_metrics.h). `skiff endpoint show` prints
// them per shadow version.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "skiff/sdk/webservice.h"
#include "skiff/status.h"

namespace skiff::sdk {

struct ShadowFigures {
  int64_t compared = 0;  // pairs both versions answered, outputs compared
  int64_t errors = 0;    // pairs where at least one failed
  int64_t dropped = 0;   // copies never scored (the shadow queue was full)
  int64_t live_failed = 0;    // error mismatch: the live version failed, the shadow did not
  int64_t shadow_failed = 0;  // error mismatch: the shadow failed, the live did not
  int64_t argmax_compared = 0;  // output comparisons with a class axis (all outputs)
  int64_t argmax_agreed = 0;    // of those, argmax agreed in every row
  int64_t output_mismatches = 0;  // outputs missing or of another dtype/shape
  int64_t diff_count = 0;         // output comparisons with a max abs diff
  double diff_sum = 0;            // their sum (mean = diff_sum / diff_count)
  // The upper bound of the highest histogram bucket that holds a max abs
  // diff (0: every answer was identical); nullopt before any, +inf past the
  // last bound.
  std::optional<double> diff_bound;
  int64_t latency_count = 0;  // compared pairs with a latency delta
  double latency_sum_s = 0;   // sum of (shadow - live) seconds

  // argmax_agreed / argmax_compared; nullopt when nothing had a class axis.
  std::optional<double> argmax_agreement() const;
};

// The figures by shadow version from a Prometheus text exposition (GET
// /metrics), for `service`. Versions without a skiff_shadow_requests_total
// series are absent. Pure.
std::map<std::string, ShadowFigures> ParseShadowFigures(std::string_view metrics_text,
                                                        const std::string& service);

// Reads `endpoint`'s metrics (ServiceStatus::metrics_uri) and parses them.
// kUnavailable when the target publishes no metrics address (aks: the
// router's metrics port is for the cluster's scraper) or it does not answer.
StatusOr<std::map<std::string, ShadowFigures>> ReadShadowFigures(AksEndpoint& endpoint);

}  // namespace skiff::sdk
