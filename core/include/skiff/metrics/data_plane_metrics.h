// The skiff data plane's metric families (docs/protocols.md#metrics):
//   skiff_requests_total{service,version,code}              counter
//   skiff_request_duration_seconds{service,version,phase}   histogram, phase = queue|compute|total
//   skiff_batch_size{service,version}                       histogram
//   skiff_requests_in_flight{service,version}               gauge
//   skiff_auth_failures_total{service}                      counter
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "skiff/metrics/metrics_registry.h"

namespace skiff::metrics {

// The series of one service version. Every member is lock-free to update;
// RequestDone() takes the registry mutex only the first time it sees a code.
class ServiceMetrics {
 public:
  ServiceMetrics(MetricsRegistry* registry, std::string service, std::string version);

  // Counts a finished request with HTTP status `code`.
  void RequestDone(int code);

  Histogram& queue_seconds() { return *queue_seconds_; }
  Histogram& compute_seconds() { return *compute_seconds_; }
  Histogram& total_seconds() { return *total_seconds_; }
  Histogram& batch_size() { return *batch_size_; }
  Gauge& in_flight() { return *in_flight_; }
  Counter& auth_failures() { return *auth_failures_; }

 private:
  MetricsRegistry* registry_;
  std::string service_;
  std::string version_;
  Histogram* queue_seconds_;
  Histogram* compute_seconds_;
  Histogram* total_seconds_;
  Histogram* batch_size_;
  Gauge* in_flight_;
  Counter* auth_failures_;
  // skiff_requests_total series by code - 100, filled on first use.
  std::array<std::atomic<Counter*>, 500> by_code_{};
};

// Owns the families in a registry and hands out per-version series.
class DataPlaneMetrics {
 public:
  // `registry` must outlive this object.
  explicit DataPlaneMetrics(MetricsRegistry* registry);

  // The series of `service` at `version`, created on first use; the
  // reference stays valid for this object's lifetime. Takes a mutex: call it
  // once per version (e.g. when the version loads), not per request.
  ServiceMetrics& For(const std::string& service, const std::string& version);

  // Counts a request refused by authentication (before a version is chosen).
  void AuthFailure(const std::string& service);

  // Bucket bounds: seconds 0.001 .. 10; batch sizes 1 .. 256 (powers of 2).
  static const std::vector<double>& DurationBuckets();
  static const std::vector<double>& BatchSizeBuckets();

 private:
  MetricsRegistry* registry_;
  std::mutex mu_;  // guards versions_
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ServiceMetrics>> versions_;
};

}  // namespace skiff::metrics
