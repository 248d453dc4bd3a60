// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/data_plane_metrics.h"

namespace skiff::metrics {
namespace {

constexpr char kRequestsTotal[] = "skiff_requests_total";
constexpr char kRequestsTotalHelp[] =
    "Scoring requests finished, by HTTP status code and the protocol they came in by.";
constexpr char kDuration[] = "skiff_request_duration_seconds";
constexpr char kDurationHelp[] = "Scoring request latency in seconds, from receipt to response.";
constexpr char kQueue[] = "skiff_request_queue_seconds";
constexpr char kQueueHelp[] = "Seconds a scoring request waited for a replica (or a batch).";
constexpr char kCompute[] = "skiff_request_compute_seconds";
constexpr char kComputeHelp[] = "Seconds the model took to score a request's execution.";
constexpr char kBatchSize[] = "skiff_batch_size";
constexpr char kBatchSizeHelp[] = "Requests served by one model execution (1 without batching).";
constexpr char kInferences[] = "skiff_inferences_total";
constexpr char kInferencesHelp[] =
    "Requests the model scored successfully (Triton's nv_inference_count).";
constexpr char kExecutions[] = "skiff_model_executions_total";
constexpr char kExecutionsHelp[] =
    "Model executions; a dynamic batch counts once (Triton's nv_inference_exec_count).";
constexpr char kLoadSeconds[] = "skiff_model_load_seconds";
constexpr char kLoadSecondsHelp[] = "Seconds the version's last successful load and warm-up took.";
constexpr char kLoadFailures[] = "skiff_model_load_failures_total";
constexpr char kLoadFailuresHelp[] = "Loads of the version that failed (the old config kept serving).";
constexpr char kLastLoadFailure[] = "skiff_model_last_load_failure_timestamp_seconds";
constexpr char kLastLoadFailureHelp[] = "Unix time of the version's last failed load.";
constexpr char kInFlight[] = "skiff_requests_in_flight";
constexpr char kInFlightHelp[] = "Scoring requests received and not yet answered.";
constexpr char kAuthFailures[] = "skiff_auth_failures_total";
constexpr char kAuthFailuresHelp[] = "Requests refused by authentication or authorization.";

}  // namespace

const char* ProtocolLabel(RequestProtocol protocol) {
  return protocol == RequestProtocol::kGrpc ? "grpc" : "http";
}

ServiceMetrics::ServiceMetrics(MetricsRegistry* registry, std::string service, std::string version)
    : registry_(registry), service_(std::move(service)), version_(std::move(version)) {
  const MetricLabels labels = {{"service", service_}, {"version", version_}};
  auto seconds = [&](const char* name, const char* help) {
    return &registry_->GetHistogram(name, help, DataPlaneMetrics::DurationBuckets(), labels);
  };
  total_seconds_ = seconds(kDuration, kDurationHelp);
  queue_seconds_ = seconds(kQueue, kQueueHelp);
  compute_seconds_ = seconds(kCompute, kComputeHelp);
  batch_size_ = &registry_->GetHistogram(kBatchSize, kBatchSizeHelp,
                                         DataPlaneMetrics::BatchSizeBuckets(), labels);
  inferences_ = &registry_->GetCounter(kInferences, kInferencesHelp, labels);
  executions_ = &registry_->GetCounter(kExecutions, kExecutionsHelp, labels);
  in_flight_ = &registry_->GetGauge(kInFlight, kInFlightHelp, labels);
  load_seconds_ = &registry_->GetGauge(kLoadSeconds, kLoadSecondsHelp, labels);
  load_failures_ = &registry_->GetCounter(kLoadFailures, kLoadFailuresHelp, labels);
  auth_failures_ =
      &registry_->GetCounter(kAuthFailures, kAuthFailuresHelp, {{"service", service_}});
}

void ServiceMetrics::Executed(size_t requests) {
  batch_size_->Observe(static_cast<double>(requests));
  executions_->Increment();
}

void ServiceMetrics::LoadFailed(double unix_seconds) {
  load_failures_->Increment();
  // Registered on the first failure: a version that never failed has no
  // timestamp series (a 0 would read as a failure in 1970).
  registry_
      ->GetGauge(kLastLoadFailure, kLastLoadFailureHelp,
                 {{"service", service_}, {"version", version_}})
      .Set(unix_seconds);
}

void ServiceMetrics::RequestDone(int code, RequestProtocol protocol) {
  RequestDone(code, protocol, RequestWindow::Clock::now());
}

void ServiceMetrics::RequestDone(int code, RequestProtocol protocol,
                                 RequestWindow::Clock::time_point now) {
  window_.Record(code, now);
  const bool cacheable = code >= 100 && code < 600;
  auto& by_code = by_code_[static_cast<size_t>(protocol)];
  if (cacheable) {
    if (Counter* counter = by_code[code - 100].load(std::memory_order_acquire)) {
      counter->Increment();
      return;
    }
  }
  Counter& counter = registry_->GetCounter(kRequestsTotal, kRequestsTotalHelp,
                                           {{"service", service_},
                                            {"version", version_},
                                            {"code", std::to_string(code)},
                                            {"protocol", ProtocolLabel(protocol)}});
  // Racing first uses store the same pointer (the registry returns one series).
  if (cacheable) by_code[code - 100].store(&counter, std::memory_order_release);
  counter.Increment();
}

DataPlaneMetrics::DataPlaneMetrics(MetricsRegistry* registry) : registry_(registry) {}

ServiceMetrics& DataPlaneMetrics::For(const std::string& service, const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = versions_[{service, version}];
  if (!slot) slot = std::make_unique<ServiceMetrics>(registry_, service, version);
  return *slot;
}

std::vector<VersionLoad> DataPlaneMetrics::Load() const {
  std::vector<VersionLoad> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, series] : versions_) {
    VersionLoad load = series->window().Sum();
    load.version = key.second;
    out.push_back(std::move(load));
  }
  return out;
}

void DataPlaneMetrics::AuthFailure(const std::string& service) {
  registry_->GetCounter(kAuthFailures, kAuthFailuresHelp, {{"service", service}}).Increment();
}

const std::vector<double>& DataPlaneMetrics::DurationBuckets() {
  static const std::vector<double> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};
  return kBounds;
}

const std::vector<double>& DataPlaneMetrics::BatchSizeBuckets() {
  static const std::vector<double> kBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  return kBounds;
}

}  // namespace skiff::metrics
