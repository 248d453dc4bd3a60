// SPDX-License-Identifier: Apache-2.0
// Reading Prometheus' text exposition format back: what skiff-server's
// metrics listener writes (metrics_registry.h), as the control plane reads
// it (a progressive rollout's gates, endpoint show's shadow figures, the
// endpoint report's fallback). One parser and one quantile rule, so the
// three readers cannot disagree about a line or a p99.
//
// Hand-written rather than a library: Debian 12 packages no C++ parser for
// the exposition format (prometheus-cpp is not packaged), and what skiff
// reads is its own output: `name{k="v",...} value` lines, no timestamps.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::metrics {

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;  // values unescaped (\\, \", \n)
  double value = 0;                           // +Inf / -Inf / NaN as strtod reads them
};

// One sample line. nullopt for a comment (`#`), a blank line or anything
// that is not `name[{labels}] value[ timestamp]`.
std::optional<MetricSample> ParseSampleLine(std::string_view line);

// Every sample of `text`, in order; `malformed` (when given) gets the
// 1-based numbers of non-blank, non-comment lines that did not parse.
std::vector<MetricSample> ParseExposition(std::string_view text,
                                          std::vector<size_t>* malformed = nullptr);

// A histogram bucket's `le` label as a number ("+Inf" is infinity).
double BucketBound(const std::string& le);

// Prometheus' histogram_quantile: `buckets` are (upper bound, cumulative
// count) in any order; linear within the bucket that holds the rank, the
// first bucket's lower bound 0, and the highest finite bound when the rank
// falls in +Inf. nullopt when there are no observations.
std::optional<double> HistogramQuantile(std::vector<std::pair<double, double>> buckets, double q);

}  // namespace skiff::metrics
