// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/metrics_registry.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

namespace skiff::metrics {
namespace {

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };

void AtomicAdd(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

// Prometheus float text: shortest round-trip digits, +Inf/-Inf/NaN.
void AppendValue(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    out->append(buf, r.ptr);
  }
}

void AppendEscaped(std::string_view text, bool escape_quote, std::string* out) {
  for (char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && escape_quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

// name{a="1",b="2"[,le="..."]}
void AppendSeriesName(std::string_view name, std::string_view suffix, const MetricLabels& labels,
                      const char* le, std::string* out) {
  out->append(name);
  out->append(suffix);
  if (labels.empty() && !le) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(key);
    out->append("=\"");
    AppendEscaped(value, true, out);
    out->push_back('"');
  }
  if (le) {
    if (!first) out->push_back(',');
    out->append("le=\"");
    out->append(le);
    out->push_back('"');
  }
  out->push_back('}');
}

}  // namespace

void Counter::Increment(double by) {
  if (by >= 0) AtomicAdd(value_, by);
}

void Gauge::Add(double by) { AtomicAdd(value_, by); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // Buckets are "less than or equal": the first bound >= value.
  const size_t index = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return counts;
}

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int type = kCounter;
  std::vector<double> bounds;
  // One map per type; only the one matching `type` is used.
  std::map<MetricLabels, std::unique_ptr<Counter>> counters;
  std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
  std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
};

MetricsRegistry::MetricsRegistry() : orphans_(std::make_unique<Family>()) {}
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family* MetricsRegistry::FindOrAddFamily(std::string_view name,
                                                          std::string_view help, int type,
                                                          const std::vector<double>* bounds) {
  for (auto& family : families_) {
    if (family->name == name) {
      assert(family->type == type && "metric family registered under another type");
      return family->type == type ? family.get() : orphans_.get();
    }
  }
  auto family = std::make_unique<Family>();
  family->name = std::string(name);
  family->help = std::string(help);
  family->type = type;
  if (bounds) {
    family->bounds = *bounds;
    std::sort(family->bounds.begin(), family->bounds.end());
    family->bounds.erase(std::unique(family->bounds.begin(), family->bounds.end()),
                         family->bounds.end());
    family->bounds.erase(std::remove_if(family->bounds.begin(), family->bounds.end(),
                                        [](double b) { return !std::isfinite(b); }),
                         family->bounds.end());
  }
  families_.push_back(std::move(family));
  return families_.back().get();
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = FindOrAddFamily(name, help, kCounter, nullptr)->counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = FindOrAddFamily(name, help, kGauge, nullptr)->gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& bounds,
                                         const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family* family = FindOrAddFamily(name, help, kHistogram, &bounds);
  auto& slot = family->histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(family == orphans_.get() ? bounds : family->bounds);
  return *slot;
}

void MetricsRegistry::AddCollector(std::function<void(MetricsRegistry&)> collect) {
  std::lock_guard<std::mutex> lock(collect_mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::RenderPrometheusText() const {
  {
    // Collectors set series through Get*(), which takes mu_; the registry
    // is logically const here (only on-demand values change).
    std::lock_guard<std::mutex> collect_lock(collect_mu_);
    auto* self = const_cast<MetricsRegistry*>(this);
    for (const auto& collect : collectors_) collect(*self);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  static const char* const kTypeNames[] = {"counter", "gauge", "histogram"};
  for (const auto& family : families_) {
    out.append("# HELP ").append(family->name).push_back(' ');
    AppendEscaped(family->help, false, &out);
    out.append("\n# TYPE ").append(family->name).push_back(' ');
    out.append(kTypeNames[family->type]).push_back('\n');
    for (const auto& [labels, counter] : family->counters) {
      AppendSeriesName(family->name, "", labels, nullptr, &out);
      out.push_back(' ');
      AppendValue(counter->Value(), &out);
      out.push_back('\n');
    }
    for (const auto& [labels, gauge] : family->gauges) {
      AppendSeriesName(family->name, "", labels, nullptr, &out);
      out.push_back(' ');
      AppendValue(gauge->Value(), &out);
      out.push_back('\n');
    }
    for (const auto& [labels, histogram] : family->histograms) {
      // _count is the +Inf bucket, so the two always agree even while
      // observations race with rendering.
      const std::vector<uint64_t> counts = histogram->BucketCounts();
      uint64_t cumulative = 0;
      for (size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        std::string le = "+Inf";
        if (i < histogram->bounds().size()) {
          le.clear();
          AppendValue(histogram->bounds()[i], &le);
        }
        AppendSeriesName(family->name, "_bucket", labels, le.c_str(), &out);
        out.push_back(' ');
        out.append(std::to_string(cumulative)).push_back('\n');
      }
      AppendSeriesName(family->name, "_sum", labels, nullptr, &out);
      out.push_back(' ');
      AppendValue(histogram->Sum(), &out);
      out.push_back('\n');
      AppendSeriesName(family->name, "_count", labels, nullptr, &out);
      out.push_back(' ');
      out.append(std::to_string(cumulative)).push_back('\n');
    }
  }
  return out;
}

}  // namespace skiff::metrics
