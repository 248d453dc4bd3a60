// SPDX-License-Identifier: Apache-2.0
#include "report_stats.h"

#include <algorithm>
#include <cmath>

namespace skiff::sdk::stats {
namespace {

// 97.5th percentile of the standard normal: the half-width of a 95 % interval.
constexpr double kZ975 = 1.959963984540054;

// Type-7 quantile of unsorted `values` (reordered), in O(n).
double QuantileInPlace(std::vector<double>& values, double q) {
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(values.begin(), values.begin() + lo, values.end());
  const double low = values[lo];
  if (lo + 1 >= values.size()) return low;
  const double high = *std::min_element(values.begin() + lo + 1, values.end());
  return low + (pos - static_cast<double>(lo)) * (high - low);
}

}  // namespace

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double TwoSidedP(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  if (lo + 1 >= sorted.size()) return sorted[lo];
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

TwoProportionResult TwoProportionTest(int64_t x1, int64_t n1, int64_t x2, int64_t n2) {
  TwoProportionResult r;
  const double p1 = static_cast<double>(x1) / static_cast<double>(n1);
  const double p2 = static_cast<double>(x2) / static_cast<double>(n2);
  r.difference = p2 - p1;
  const double se =
      std::sqrt(p1 * (1 - p1) / static_cast<double>(n1) + p2 * (1 - p2) / static_cast<double>(n2));
  r.ci_low = r.difference - kZ975 * se;
  r.ci_high = r.difference + kZ975 * se;
  const double pooled = static_cast<double>(x1 + x2) / static_cast<double>(n1 + n2);
  const double pooled_se = std::sqrt(
      pooled * (1 - pooled) * (1.0 / static_cast<double>(n1) + 1.0 / static_cast<double>(n2)));
  if (pooled_se > 0) {
    r.z = r.difference / pooled_se;
    r.p_value = TwoSidedP(r.z);
  }
  return r;
}

MannWhitneyResult MannWhitneyU(const std::vector<double>& control,
                               const std::vector<double>& treatment) {
  const size_t n1 = control.size(), n2 = treatment.size(), n = n1 + n2;
  // (value, from treatment) ranked together; ties get their mean rank.
  std::vector<std::pair<double, bool>> all;
  all.reserve(n);
  for (double v : control) all.emplace_back(v, false);
  for (double v : treatment) all.emplace_back(v, true);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum_treatment = 0, tie_term = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (all[k].second) rank_sum_treatment += mean_rank;
    }
    tie_term += t * t * t - t;
    i = j;
  }
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2),
               dn = static_cast<double>(n);
  MannWhitneyResult r;
  r.u = rank_sum_treatment - dn2 * (dn2 + 1) / 2.0;
  r.probability_treatment_slower = r.u / (dn1 * dn2);
  const double variance = dn1 * dn2 / 12.0 * ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (variance > 0) {
    r.z = (r.u - dn1 * dn2 / 2.0) / std::sqrt(variance);
    r.p_value = TwoSidedP(r.z);
  }
  return r;
}

Interval BootstrapQuantileDifference(const std::vector<double>& control,
                                     const std::vector<double>& treatment, double q, int resamples,
                                     uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> a(control.size()), b(treatment.size()), differences;
  differences.reserve(static_cast<size_t>(resamples));
  for (int i = 0; i < resamples; ++i) {
    for (double& v : a) v = control[rng() % control.size()];
    for (double& v : b) v = treatment[rng() % treatment.size()];
    differences.push_back(QuantileInPlace(b, q) - QuantileInPlace(a, q));
  }
  std::sort(differences.begin(), differences.end());
  return {Quantile(differences, 0.025), Quantile(differences, 0.975)};
}

void Reservoir::Add(double value) {
  ++seen_;
  if (values_.size() < capacity_) {
    values_.push_back(value);
    return;
  }
  // Keep the new value with probability capacity / seen, in a uniform slot.
  const uint64_t slot = rng_() % static_cast<uint64_t>(seen_);
  if (slot < capacity_) values_[slot] = value;
}

}  // namespace skiff::sdk::stats
