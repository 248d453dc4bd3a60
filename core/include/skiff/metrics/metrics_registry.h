// SPDX-License-Identifier: Apache-2.0
// A small Prometheus metrics registry (std only): counters, gauges and
// fixed-bucket histograms with label pairs, rendered in the text exposition
// format 0.0.4 for GET /metrics.
//
// Threading: registering or looking up a series takes a mutex; the returned
// series is stable for the registry's lifetime and updating it is lock-free
// (atomics), so hot paths look a series up once and keep the reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::metrics {

// Label name/value pairs, rendered in the order given.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing value.
class Counter {
 public:
  // `by` must be >= 0 (negative increments are ignored).
  void Increment(double by = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  void Increment() { Add(1.0); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into fixed buckets (upper bounds, inclusive) plus +Inf.
class Histogram {
 public:
  // `bounds` ascending, finite; the registry sorts and de-duplicates them.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (non-cumulative) counts; the last one is the +Inf bucket.
  std::vector<uint64_t> BucketCounts() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Returns the series of family `name` with `labels`, creating either on
  // first use (`help` and `bounds` are taken from the first call for a
  // family). Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
  // [a-zA-Z_][a-zA-Z0-9_]*. Asking for a family under a different type than
  // it was registered with is a programming error: it asserts in debug
  // builds and returns a series that is never rendered.
  Counter& GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels);
  Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels);
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& bounds, const MetricLabels& labels);

  // `collect` runs at the start of every RenderPrometheusText(), one render
  // at a time, to set series whose values are read on demand (process_*,
  // from /proc). It may call Get*() but not Render or AddCollector.
  void AddCollector(std::function<void(MetricsRegistry&)> collect);

  // The text exposition format 0.0.4: families in registration order, each
  // with "# HELP" and "# TYPE" lines, series sorted by label values;
  // histograms as cumulative _bucket{le="..."} lines, then _sum and _count.
  std::string RenderPrometheusText() const;

 private:
  struct Family;
  Family* FindOrAddFamily(std::string_view name, std::string_view help, int type,
                          const std::vector<double>* bounds);

  mutable std::mutex collect_mu_;  // guards collectors_; held while they run, before mu_
  std::vector<std::function<void(MetricsRegistry&)>> collectors_;
  mutable std::mutex mu_;  // guards families_ and each family's series map (not series values)
  std::vector<std::unique_ptr<Family>> families_;
  std::unique_ptr<Family> orphans_;  // series asked for under the wrong type
};

}  // namespace skiff::metrics
