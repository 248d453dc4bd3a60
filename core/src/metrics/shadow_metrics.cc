// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/shadow_metrics.h"

namespace skiff::metrics {
namespace {

constexpr char kRequests[] = "skiff_shadow_requests_total";
constexpr char kRequestsHelp[] =
    "Live requests copied to a shadow version, by outcome (compared, error, dropped).";
constexpr char kErrorMismatch[] = "skiff_shadow_error_mismatch_total";
constexpr char kErrorMismatchHelp[] =
    "Shadow pairs where one version failed and the other answered; `failed` names which.";
constexpr char kMaxAbsDiff[] = "skiff_shadow_max_abs_diff";
constexpr char kMaxAbsDiffHelp[] =
    "Largest absolute difference between the live and the shadow answer of an output.";
constexpr char kArgmaxCompared[] = "skiff_shadow_argmax_compared_total";
constexpr char kArgmaxComparedHelp[] =
    "Shadow pairs whose output has a class axis (rank >= 2, last dimension >= 2).";
constexpr char kArgmaxAgreement[] = "skiff_shadow_argmax_agreement_total";
constexpr char kArgmaxAgreementHelp[] =
    "Shadow pairs whose argmax over the class axis agreed in every row.";
constexpr char kOutputMismatch[] = "skiff_shadow_output_mismatch_total";
constexpr char kOutputMismatchHelp[] =
    "Shadow pairs whose output was missing or differed in datatype or shape.";
constexpr char kLatencyDelta[] = "skiff_shadow_latency_delta_seconds";
constexpr char kLatencyDeltaHelp[] =
    "Shadow minus live queue + compute seconds of a compared pair.";
constexpr char kQueueDepth[] = "skiff_shadow_queue_depth";
constexpr char kQueueDepthHelp[] = "Shadow requests sent and not yet answered.";

}  // namespace

ShadowMetrics::ShadowMetrics(MetricsRegistry* registry, std::string service, std::string version)
    : registry_(registry), service_(std::move(service)), version_(std::move(version)) {
  auto outcome = [&](const char* name) {
    return &registry_->GetCounter(kRequests, kRequestsHelp,
                                  {{"service", service_}, {"version", version_}, {"outcome", name}});
  };
  // Registered up front so a scrape shows 0, not a missing series.
  compared_ = outcome("compared");
  failed_ = outcome("error");
  dropped_ = outcome("dropped");
  latency_delta_ = &registry_->GetHistogram(kLatencyDelta, kLatencyDeltaHelp, LatencyDeltaBuckets(),
                                            {{"service", service_}, {"version", version_}});
}

void ShadowMetrics::ErrorMismatch(bool live_failed) {
  registry_
      ->GetCounter(kErrorMismatch, kErrorMismatchHelp,
                   {{"service", service_},
                    {"version", version_},
                    {"failed", live_failed ? "live" : "shadow"}})
      .Increment();
}

void ShadowMetrics::Output(const std::string& output, bool comparable, double max_abs_diff,
                           std::optional<bool> argmax_agrees) {
  const MetricLabels labels = {{"service", service_}, {"version", version_}, {"output", output}};
  if (!comparable) {
    registry_->GetCounter(kOutputMismatch, kOutputMismatchHelp, labels).Increment();
    return;
  }
  registry_->GetHistogram(kMaxAbsDiff, kMaxAbsDiffHelp, DiffBuckets(), labels).Observe(max_abs_diff);
  if (!argmax_agrees) return;
  registry_->GetCounter(kArgmaxCompared, kArgmaxComparedHelp, labels).Increment();
  Counter& agreed = registry_->GetCounter(kArgmaxAgreement, kArgmaxAgreementHelp, labels);
  if (*argmax_agrees) agreed.Increment();
}

const std::vector<double>& ShadowMetrics::DiffBuckets() {
  static const std::vector<double> kBounds = {0,    1e-6, 1e-5, 1e-4, 1e-3, 0.01,
                                              0.1,  1,    10,   100};
  return kBounds;
}

const std::vector<double>& ShadowMetrics::LatencyDeltaBuckets() {
  static const std::vector<double> kBounds = {-5,    -1,    -0.25, -0.1, -0.025, -0.01, -0.001, 0,
                                              0.001, 0.01,  0.025, 0.1,  0.25,   1,     5};
  return kBounds;
}

Gauge& ShadowQueueDepth(MetricsRegistry* registry, const std::string& service) {
  return registry->GetGauge(kQueueDepth, kQueueDepthHelp, {{"service", service}});
}

}  // namespace skiff::metrics
