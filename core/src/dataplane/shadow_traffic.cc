// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/shadow_traffic.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "skiff/protocol/fp16.h"

namespace skiff::dataplane {
namespace {

template <typename T>
double Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<double>(v);
}

// Element `i` of a numeric tensor as a double.
double ElementAt(const Tensor& t, size_t i) {
  const uint8_t* p = t.data.data() + i * DataTypeSize(t.dtype);
  switch (t.dtype) {
    case DataType::kFp32: return Load<float>(p);
    case DataType::kFp64: return Load<double>(p);
    case DataType::kFp16: {
      uint16_t bits;
      std::memcpy(&bits, p, 2);
      return protocol::HalfToFloat(bits);
    }
    case DataType::kBf16: {
      uint16_t bits;
      std::memcpy(&bits, p, 2);
      return protocol::Bf16ToFloat(bits);
    }
    case DataType::kInt64: return Load<int64_t>(p);
    case DataType::kInt32: return Load<int32_t>(p);
    case DataType::kInt16: return Load<int16_t>(p);
    case DataType::kInt8: return Load<int8_t>(p);
    case DataType::kUint64: return Load<uint64_t>(p);
    case DataType::kUint32: return Load<uint32_t>(p);
    case DataType::kUint16: return Load<uint16_t>(p);
    case DataType::kUint8:
    case DataType::kBool: return Load<uint8_t>(p);
    case DataType::kBytes: break;
  }
  return 0;
}

// The index of the largest of `n` elements from `first` (the first on ties;
// NaN never wins).
size_t ArgMax(const Tensor& t, size_t first, size_t n) {
  size_t best = 0;
  double best_value = -std::numeric_limits<double>::infinity();
  bool found = false;
  for (size_t j = 0; j < n; ++j) {
    const double v = ElementAt(t, first + j);
    if (std::isnan(v)) continue;
    if (!found || v > best_value) {
      best = j;
      best_value = v;
      found = true;
    }
  }
  return best;
}

OutputAgreement Compare(const Tensor& live, const Tensor* shadow) {
  OutputAgreement a;
  a.output = live.name;
  if (shadow == nullptr || shadow->dtype != live.dtype || shadow->shape != live.shape ||
      live.dtype == DataType::kBytes || live.data.size() != shadow->data.size()) {
    return a;
  }
  const int64_t count = live.NumElements();
  if (count < 0 || static_cast<uint64_t>(count) * DataTypeSize(live.dtype) != live.data.size()) {
    return a;
  }
  a.comparable = true;
  const size_t n = static_cast<size_t>(count);
  for (size_t i = 0; i < n; ++i) {
    const double x = ElementAt(live, i), y = ElementAt(*shadow, i);
    double d;
    if (std::isnan(x) || std::isnan(y)) {
      d = std::isnan(x) && std::isnan(y) ? 0 : std::numeric_limits<double>::infinity();
    } else {
      d = std::fabs(x - y);
    }
    if (d > a.max_abs_diff) a.max_abs_diff = d;
  }
  if (live.shape.size() >= 2 && live.shape.back() >= 2 && live.dtype != DataType::kBool) {
    const size_t classes = static_cast<size_t>(live.shape.back());
    bool agrees = true;
    for (size_t row = 0; row + classes <= n && agrees; row += classes) {
      agrees = ArgMax(live, row, classes) == ArgMax(*shadow, row, classes);
    }
    a.argmax_agrees = agrees;
  }
  return a;
}

}  // namespace

std::vector<OutputAgreement> CompareOutputs(const std::vector<Tensor>& live,
                                            const std::vector<Tensor>& shadow) {
  std::vector<OutputAgreement> out;
  out.reserve(live.size());
  for (const Tensor& l : live) {
    const Tensor* match = nullptr;
    for (const Tensor& s : shadow) {
      if (s.name == l.name) match = &s;
    }
    out.push_back(Compare(l, match));
  }
  return out;
}

// ---- ShadowTraffic -------------------------------------------------------------

struct ShadowTraffic::Plan {
  struct Target {
    std::string version;
    int percentile = 0;
    metrics::ShadowMetrics* metrics = nullptr;  // owned by Shared::by_version
  };
  std::vector<Target> targets;
  int64_t queue_size = 0;
  metrics::Gauge* depth = nullptr;
};

// What pairs still out share with the ShadowTraffic that made them, which
// may be gone when they finish (the registry with it).
struct ShadowTraffic::Shared {
  explicit Shared(metrics::MetricsRegistry* r) : registry(r) {}
  metrics::MetricsRegistry* const registry;
  std::mutex mu;  // guards open, plan, by_version; held while a pair records
  bool open = true;
  std::shared_ptr<const Plan> plan;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<metrics::ShadowMetrics>>
      by_version;
  std::atomic<int64_t> outstanding{0};
};

class ShadowTraffic::Pair {
 public:
  Pair(std::shared_ptr<Shared> shared, metrics::ShadowMetrics* m, metrics::Gauge* depth,
       std::shared_ptr<ModelVersion> version, std::vector<Tensor> inputs)
      : shared_(std::move(shared)),
        metrics_(m),
        depth_(depth),
        version_(std::move(version)),
        inputs_(std::move(inputs)) {}

  // Send: set once, before the shadow job exists.
  void Submit(const std::shared_ptr<Pair>& self) {
    ModelVersion* version = version_.get();
    version->pool().Submit(std::move(inputs_),
                           [self](ScoreResult result) { self->ShadowDone(std::move(result)); });
  }

  void Arrive(bool is_live, ScoreResult result) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      (is_live ? live_ : shadow_) = std::move(result);
      if (!live_ || !shadow_) return;
    }
    Record();  // both are in: no other thread touches them any more
  }

 private:
  void ShadowDone(ScoreResult result) {
    // The queue slot is free once the shadow version answered; the version
    // handle goes as on the live path (the endpoint's reaper unloads).
    shared_->outstanding.fetch_sub(1);
    version_.reset();
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      if (shared_->open) depth_->Add(-1);
    }
    Arrive(false, std::move(result));
  }

  void Record() {
    const ScoreResult& live = *live_;
    const ScoreResult& shadow = *shadow_;
    std::vector<OutputAgreement> outputs;
    const bool both_ok = live.status.ok() && shadow.status.ok();
    if (both_ok) outputs = CompareOutputs(live.outputs, shadow.outputs);
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (!shared_->open) return;
    if (shadow.status.code() == StatusCode::kUnavailable) {
      // The shadow version's own queue refused it or it shut down: never
      // scored, like a copy the shadow queue had no room for.
      metrics_->Dropped();
      return;
    }
    if (!both_ok) {
      metrics_->Failed();
      if (live.status.ok() != shadow.status.ok()) metrics_->ErrorMismatch(!live.status.ok());
      return;
    }
    for (const OutputAgreement& a : outputs) {
      metrics_->Output(a.output, a.comparable, a.max_abs_diff, a.argmax_agrees);
    }
    metrics_->LatencyDelta((shadow.queue_seconds + shadow.compute_seconds) -
                           (live.queue_seconds + live.compute_seconds));
    // Counted last: a reader that sees N compared pairs sees their outputs.
    metrics_->Compared();
  }

  const std::shared_ptr<Shared> shared_;
  metrics::ShadowMetrics* const metrics_;
  metrics::Gauge* const depth_;
  std::shared_ptr<ModelVersion> version_;  // until the shadow answered
  std::vector<Tensor> inputs_;             // moved to the shadow's pool by Submit
  std::mutex mu_;                          // guards live_ and shadow_
  std::optional<ScoreResult> live_;
  std::optional<ScoreResult> shadow_;
};

ShadowTraffic::ShadowTraffic(metrics::MetricsRegistry* registry, uint64_t seed)
    : shared_(std::make_shared<Shared>(registry)),
      rng_state_(seed != 0 ? seed : (uint64_t{std::random_device()()} << 32) ^ std::random_device()()) {}

ShadowTraffic::~ShadowTraffic() {
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->open = false;
}

void ShadowTraffic::Apply(const config::ServerConfig& config) {
  if (config.routing_seed != 0) {
    // routingSeed makes the draws reproducible, as the traffic split's.
    std::lock_guard<std::mutex> lock(rng_mu_);
    if (!seeded_) rng_state_ = config.routing_seed ^ 0x5EED5EED5EED5EEDull;
    seeded_ = true;
  }
  auto plan = std::make_shared<Plan>();
  plan->queue_size = config.deployment.shadow_queue_size;
  plan->depth = &metrics::ShadowQueueDepth(shared_->registry, config.service);
  std::lock_guard<std::mutex> lock(shared_->mu);
  for (const auto& v : config.versions) {
    if (v.shadow_percentile <= 0) continue;
    auto& slot = shared_->by_version[{config.service, v.spec.name}];
    if (!slot) {
      slot = std::make_unique<metrics::ShadowMetrics>(shared_->registry, config.service,
                                                      v.spec.name);
    }
    plan->targets.push_back({v.spec.name, v.shadow_percentile, slot.get()});
  }
  any_.store(!plan->targets.empty(), std::memory_order_release);
  shared_->plan = std::move(plan);
}

bool ShadowTraffic::DrawHit(int percentile) {
  if (percentile >= 100) return true;
  if (percentile <= 0) return false;
  std::lock_guard<std::mutex> lock(rng_mu_);
  // splitmix64: one multiply-xorshift step per draw, uniform enough for a share.
  uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<int>(z % 100) < percentile;
}

ShadowTraffic::Pairs ShadowTraffic::Draw(const Endpoint& endpoint, const std::string& live_version,
                                         const std::vector<Tensor>& inputs) {
  Pairs pairs;
  if (!any_.load(std::memory_order_acquire)) return pairs;
  std::shared_ptr<const Plan> plan;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    plan = shared_->plan;
  }
  // A request pinned to a shadow version tries that version out: it is not
  // the endpoint's live traffic, so nothing is copied.
  for (const Plan::Target& t : plan->targets) {
    if (t.version == live_version) return pairs;
  }
  for (const Plan::Target& t : plan->targets) {
    if (!DrawHit(t.percentile)) continue;
    std::shared_ptr<ModelVersion> version = endpoint.Find(t.version);
    if (version == nullptr) continue;  // left the endpoint since this plan
    if (!endpoint.reachable(t.version)) {
      t.metrics->Dropped();  // a router's upstream that fails its probe
      continue;
    }
    if (shared_->outstanding.fetch_add(1) >= plan->queue_size) {
      shared_->outstanding.fetch_sub(1);
      t.metrics->Dropped();
      continue;
    }
    plan->depth->Add(1);
    pairs.push_back(
        std::make_shared<Pair>(shared_, t.metrics, plan->depth, std::move(version), inputs));
  }
  return pairs;
}

void ShadowTraffic::Send(const Pairs& pairs) {
  for (const auto& pair : pairs) pair->Submit(pair);
}

void ShadowTraffic::LiveDone(const Pairs& pairs, ScoreResult result) {
  // Each pair but the last gets a copy; the last takes the result.
  for (size_t i = 0; i + 1 < pairs.size(); ++i) pairs[i]->Arrive(true, result);
  if (!pairs.empty()) pairs.back()->Arrive(true, std::move(result));
}

int64_t ShadowTraffic::outstanding() const { return shared_->outstanding.load(); }

}  // namespace skiff::dataplane
