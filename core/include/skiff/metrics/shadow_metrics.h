// SPDX-License-Identifier: Apache-2.0
// The shadow-traffic series (docs/rollout.md#shadow-traffic), one set per
// (service, shadow version); `version` is the shadow version, the one whose
// answers are compared with the live version's:
//   skiff_shadow_requests_total{service,version,outcome}         counter;
//       outcome "compared" (both answered, outputs compared), "error" (at
//       least one of the two failed), "dropped" (never scored: the shadow
//       queue was full, or the shadow version's own queue refused it)
//   skiff_shadow_error_mismatch_total{service,version,failed}    counter; one
//       of the pair failed and the other did not; failed "live" | "shadow"
//   skiff_shadow_max_abs_diff{service,version,output}            histogram of
//       max |live - shadow| over an output's elements, per compared pair
//   skiff_shadow_argmax_compared_total{service,version,output}   counter; pairs
//       whose output has a class axis (rank >= 2, last dimension >= 2)
//   skiff_shadow_argmax_agreement_total{service,version,output}  counter; of
//       those, pairs whose argmax over the class axis agreed in every row
//   skiff_shadow_output_mismatch_total{service,version,output}   counter; the
//       output was missing, or its datatype or shape differed
//   skiff_shadow_latency_delta_seconds{service,version}          histogram of
//       (shadow - live) queue + compute seconds, per compared pair
//   skiff_shadow_queue_depth{service}                            gauge; shadow
//       requests sent and not yet answered
// Threading: every method may be called concurrently.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "skiff/metrics/metrics_registry.h"

namespace skiff::metrics {

class ShadowMetrics {
 public:
  // `registry` must outlive this object.
  ShadowMetrics(MetricsRegistry* registry, std::string service, std::string version);

  void Compared() { compared_->Increment(); }
  void Failed() { failed_->Increment(); }
  void Dropped() { dropped_->Increment(); }
  // One of the pair failed and the other answered.
  void ErrorMismatch(bool live_failed);
  // One output of a compared pair: `comparable` false when the shadow's
  // output is missing or differs in datatype or shape (nothing else is
  // recorded then); `argmax_agrees` set when the output has a class axis.
  // Looks the output's series up in the registry (a mutex): shadow path only.
  void Output(const std::string& output, bool comparable, double max_abs_diff,
              std::optional<bool> argmax_agrees);
  void LatencyDelta(double seconds) { latency_delta_->Observe(seconds); }

  // Bucket bounds: differences 0 .. 100 (0 counts identical answers);
  // latency deltas -5 s .. 5 s.
  static const std::vector<double>& DiffBuckets();
  static const std::vector<double>& LatencyDeltaBuckets();

 private:
  MetricsRegistry* registry_;
  const std::string service_;
  const std::string version_;
  Counter* compared_;
  Counter* failed_;
  Counter* dropped_;
  Histogram* latency_delta_;
};

// skiff_shadow_queue_depth{service}.
Gauge& ShadowQueueDepth(MetricsRegistry* registry, const std::string& service);

}  // namespace skiff::metrics
