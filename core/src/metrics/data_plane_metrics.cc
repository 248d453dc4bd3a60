#include "skiff/metrics/data_plane_metrics.h"

namespace skiff::metrics {
namespace {

constexpr char kRequestsTotal[] = "skiff_requests_total";
constexpr char kRequestsTotalHelp[] = "Scoring requests finished, by HTTP status code.";
constexpr char kDuration[] = "skiff_request_duration_seconds";
constexpr char kDurationHelp[] =
    "Scoring request latency in seconds, by phase (queue: waiting for a replica; compute: model "
    "execution; total: receipt to response).";
constexpr char kBatchSize[] = "skiff_batch_size";
constexpr char kBatchSizeHelp[] = "Rows per batch passed to the model.";
constexpr char kInFlight[] = "skiff_requests_in_flight";
constexpr char kInFlightHelp[] = "Scoring requests received and not yet answered.";
constexpr char kAuthFailures[] = "skiff_auth_failures_total";
constexpr char kAuthFailuresHelp[] = "Requests refused by authentication or authorization.";

}  // namespace

ServiceMetrics::ServiceMetrics(MetricsRegistry* registry, std::string service, std::string version)
    : registry_(registry), service_(std::move(service)), version_(std::move(version)) {
  auto phase = [&](const char* name) {
    return &registry_->GetHistogram(
        kDuration, kDurationHelp, DataPlaneMetrics::DurationBuckets(),
        {{"service", service_}, {"version", version_}, {"phase", name}});
  };
  queue_seconds_ = phase("queue");
  compute_seconds_ = phase("compute");
  total_seconds_ = phase("total");
  batch_size_ =
      &registry_->GetHistogram(kBatchSize, kBatchSizeHelp, DataPlaneMetrics::BatchSizeBuckets(),
                               {{"service", service_}, {"version", version_}});
  in_flight_ = &registry_->GetGauge(kInFlight, kInFlightHelp,
                                    {{"service", service_}, {"version", version_}});
  auth_failures_ =
      &registry_->GetCounter(kAuthFailures, kAuthFailuresHelp, {{"service", service_}});
}

void ServiceMetrics::RequestDone(int code) {
  const bool cacheable = code >= 100 && code < 600;
  if (cacheable) {
    if (Counter* counter = by_code_[code - 100].load(std::memory_order_acquire)) {
      counter->Increment();
      return;
    }
  }
  Counter& counter = registry_->GetCounter(
      kRequestsTotal, kRequestsTotalHelp,
      {{"service", service_}, {"version", version_}, {"code", std::to_string(code)}});
  // Racing first uses store the same pointer (the registry returns one series).
  if (cacheable) by_code_[code - 100].store(&counter, std::memory_order_release);
  counter.Increment();
}

DataPlaneMetrics::DataPlaneMetrics(MetricsRegistry* registry) : registry_(registry) {}

ServiceMetrics& DataPlaneMetrics::For(const std::string& service, const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = versions_[{service, version}];
  if (!slot) slot = std::make_unique<ServiceMetrics>(registry_, service, version);
  return *slot;
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
