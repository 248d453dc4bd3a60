// SPDX-License-Identifier: Apache-2.0
// The skiff data plane's metric families (docs/protocols.md#metrics):
//   skiff_requests_total{service,version,code,protocol}     counter (protocol: http|grpc)
//   skiff_request_duration_seconds{service,version}         histogram, receipt to response
//   skiff_request_queue_seconds{service,version}            histogram, waiting for a replica
//   skiff_request_compute_seconds{service,version}          histogram, model execution
//   skiff_batch_size{service,version}                       histogram
//   skiff_inferences_total{service,version}                 counter (Triton nv_inference_count)
//   skiff_model_executions_total{service,version}           counter (nv_inference_exec_count)
//   skiff_requests_in_flight{service,version}               gauge
//   skiff_model_load_seconds{service,version}               gauge, the last successful load
//   skiff_model_load_failures_total{service,version}        counter
//   skiff_model_last_load_failure_timestamp_seconds{...}    gauge, Unix time; absent until one
//   skiff_auth_failures_total{service}                      counter
// Queue, compute and total are separate families, not one family with a
// `phase` label: a sum over such a label would count each request thrice.
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
#include "skiff/metrics/request_window.h"

namespace skiff::metrics {

// The front a scoring request came in by: skiff_requests_total's
// `protocol` label ("http", "grpc"), so one query splits them.
enum class RequestProtocol { kHttp = 0, kGrpc = 1 };
const char* ProtocolLabel(RequestProtocol protocol);

// The series of one service version. Every member is lock-free to update;
// RequestDone() takes the registry mutex only the first time it sees a code.
class ServiceMetrics {
 public:
  ServiceMetrics(MetricsRegistry* registry, std::string service, std::string version);

  // Counts a finished request with HTTP status `code` that came in by
  // `protocol` (also in window(), which does not split by protocol).
  void RequestDone(int code, RequestProtocol protocol = RequestProtocol::kHttp);
  // The same, counted in window() at `now`: the caller's own clock reading
  // of the request's end (the data plane's, which also times the request),
  // so the request's end is read once.
  void RequestDone(int code, RequestProtocol protocol, RequestWindow::Clock::time_point now);
  // The last minute of RequestDone(), for GET /load.
  const RequestWindow& window() const { return window_; }

  // One model execution that served `requests` requests (a batch of one
  // without dynamic batching): skiff_batch_size and
  // skiff_model_executions_total. rate(inferences) / rate(executions) is
  // the mean batch size.
  void Executed(size_t requests);
  // A request the model scored successfully.
  void Inferred() { inferences_->Increment(); }

  // The version's model loaded (and warmed) in `seconds`.
  void Loaded(double seconds) { load_seconds_->Set(seconds); }
  // The version's model failed to load, at Unix time `unix_seconds`.
  void LoadFailed(double unix_seconds);

  Histogram& queue_seconds() { return *queue_seconds_; }
  Histogram& compute_seconds() { return *compute_seconds_; }
  Histogram& total_seconds() { return *total_seconds_; }
  Histogram& batch_size() { return *batch_size_; }
  Gauge& in_flight() { return *in_flight_; }
  Counter& auth_failures() { return *auth_failures_; }
  Counter& inferences() { return *inferences_; }
  Counter& executions() { return *executions_; }
  Gauge& load_seconds() { return *load_seconds_; }
  Counter& load_failures() { return *load_failures_; }

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
  Counter* inferences_;
  Counter* executions_;
  Gauge* load_seconds_;
  Counter* load_failures_;
  RequestWindow window_;
  // skiff_requests_total series by protocol and code - 100, filled on first use.
  std::array<std::array<std::atomic<Counter*>, 500>, 2> by_code_{};
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

  // Every version's last minute (RequestWindow), in name order, for the
  // metrics listener's GET /load. A version removed from the config stays
  // listed (its window empties within a minute).
  std::vector<VersionLoad> Load() const;

  // Bucket bounds: seconds 0.001 .. 10; batch sizes 1 .. 256 (powers of 2).
  static const std::vector<double>& DurationBuckets();
  static const std::vector<double>& BatchSizeBuckets();

 private:
  MetricsRegistry* registry_;
  mutable std::mutex mu_;  // guards versions_
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ServiceMetrics>> versions_;
};

}  // namespace skiff::metrics
