// SPDX-License-Identifier: Apache-2.0
#include "skiff/sdk/shadow_figures.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "deployment.h"
#include "skiff/metrics/exposition.h"

namespace skiff::sdk {

std::optional<double> ShadowFigures::argmax_agreement() const {
  if (argmax_compared == 0) return std::nullopt;
  return static_cast<double>(argmax_agreed) / static_cast<double>(argmax_compared);
}

std::map<std::string, ShadowFigures> ParseShadowFigures(std::string_view text,
                                                        const std::string& service) {
  std::map<std::string, ShadowFigures> out;
  // Cumulative bucket counts of the max-abs-diff histogram, per version and
  // output: the highest bound whose count exceeds the one below it holds the
  // largest difference seen.
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#' || line.rfind("skiff_shadow_", 0) != 0) continue;
    auto sample = metrics::ParseSampleLine(line);
    if (!sample || sample->labels["service"] != service) continue;
    const std::string& version = sample->labels["version"];
    const std::string& name = sample->name;
    const auto n = static_cast<int64_t>(sample->value);
    if (name == "skiff_shadow_requests_total") {
      ShadowFigures& f = out[version];
      const std::string& outcome = sample->labels["outcome"];
      if (outcome == "compared") f.compared += n;
      if (outcome == "error") f.errors += n;
      if (outcome == "dropped") f.dropped += n;
      continue;
    }
    if (version.empty()) continue;  // skiff_shadow_queue_depth: the server's
    ShadowFigures& f = out[version];
    if (name == "skiff_shadow_error_mismatch_total") {
      (sample->labels["failed"] == "live" ? f.live_failed : f.shadow_failed) += n;
    } else if (name == "skiff_shadow_argmax_compared_total") {
      f.argmax_compared += n;
    } else if (name == "skiff_shadow_argmax_agreement_total") {
      f.argmax_agreed += n;
    } else if (name == "skiff_shadow_output_mismatch_total") {
      f.output_mismatches += n;
    } else if (name == "skiff_shadow_max_abs_diff_count") {
      f.diff_count += n;
    } else if (name == "skiff_shadow_max_abs_diff_sum") {
      f.diff_sum += sample->value;
    } else if (name == "skiff_shadow_max_abs_diff_bucket") {
      buckets[{version, sample->labels["output"]}].emplace_back(metrics::BucketBound(sample->labels["le"]),
                                                                 sample->value);
    } else if (name == "skiff_shadow_latency_delta_seconds_count") {
      f.latency_count += n;
    } else if (name == "skiff_shadow_latency_delta_seconds_sum") {
      f.latency_sum_s += sample->value;
    }
  }
  for (const auto& [key, cumulative] : buckets) {
    double below = 0;
    std::optional<double> top;
    for (const auto& [bound, count] : cumulative) {
      if (count > below) top = bound;
      below = count;
    }
    if (!top) continue;
    ShadowFigures& f = out[key.first];
    if (!f.diff_bound || *top > *f.diff_bound) f.diff_bound = top;
  }
  return out;
}

StatusOr<std::map<std::string, ShadowFigures>> ReadShadowFigures(AksEndpoint& endpoint) {
  SKIFF_ASSIGN_OR_RETURN(ServiceStatus status, endpoint.state());
  if (status.metrics_uri.empty()) {
    return Unavailable("endpoint '" + endpoint.name() +
                       "' publishes no metrics address here (aks: scrape the router's metrics "
                       "port, docs/kubernetes.md)");
  }
  auto reply = internal::SdkHttpClient(std::chrono::milliseconds(5000))
                   .Send({"GET", status.metrics_uri, {}, ""});
  if (!reply.ok()) return reply.status().WithContext("reading " + status.metrics_uri);
  if (reply->status != 200) {
    return Unavailable("GET " + status.metrics_uri + " answered HTTP " +
                       std::to_string(reply->status));
  }
  return ParseShadowFigures(reply->body, endpoint.name());
}

}  // namespace skiff::sdk
