// SPDX-License-Identifier: Apache-2.0
// The statistics of `skiff endpoint report` (docs/rollout.md "The report"),
// apart from the log reading and the rendering so each formula can be
// checked against reference values (tests/sdk/report_stats_test.cc). Pure
// functions over counts and samples; no I/O, no global state.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace skiff::sdk::stats {

// P(Z <= z) for a standard normal Z.
double NormalCdf(double z);
// Two-sided p-value of a standard normal statistic: P(|Z| >= |z|).
double TwoSidedP(double z);

// The q-quantile (0 <= q <= 1) of `sorted` (ascending, non-empty) by linear
// interpolation between order statistics (Hyndman-Fan type 7, numpy's and
// R's default): position q*(n-1).
double Quantile(const std::vector<double>& sorted, double q);

// Treatment minus control error rate, p2 - p1 with p1 = x1/n1 (control)
// and p2 = x2/n2 (treatment).
struct TwoProportionResult {
  double difference = 0;
  // 95 % Wald interval of the difference, unpooled standard error
  // sqrt(p1(1-p1)/n1 + p2(1-p2)/n2).
  double ci_low = 0, ci_high = 0;
  // The two-proportion z-test: z with the pooled standard error
  // sqrt(p(1-p)(1/n1+1/n2)), p = (x1+x2)/(n1+n2); two-sided p-value.
  // Both rates 0 (or both 1): z = 0, p = 1.
  double z = 0, p_value = 1;
};
// n1 and n2 > 0, 0 <= x <= n.
TwoProportionResult TwoProportionTest(int64_t x1, int64_t n1, int64_t x2, int64_t n2);

// The Mann-Whitney U test of `treatment` against `control` (both
// non-empty), normal approximation with the tie correction and no
// continuity correction (scipy.stats.mannwhitneyu(..., use_continuity=False,
// method="asymptotic")).
struct MannWhitneyResult {
  // U of the treatment: pairs (c, t) with t > c, ties counted 1/2.
  double u = 0;
  // u / (n1 n2): the chance a treatment request is slower than a control
  // one (0.5: neither is).
  double probability_treatment_slower = 0.5;
  double z = 0, p_value = 1;  // p = 1 when every value is tied
};
MannWhitneyResult MannWhitneyU(const std::vector<double>& control,
                               const std::vector<double>& treatment);

// The 95 % percentile-bootstrap interval of Quantile(treatment, q) -
// Quantile(control, q): `resamples` times both samples are drawn again with
// replacement, and the 2.5th and 97.5th percentiles (type 7) of the
// differences are returned. The generator is mt19937_64 seeded with `seed`
// (its sequence is fixed by the C++ standard) and indices are taken as
// `next % n`, so one seed gives the same interval on every platform.
struct Interval {
  double low = 0, high = 0;
};
Interval BootstrapQuantileDifference(const std::vector<double>& control,
                                     const std::vector<double>& treatment, double q, int resamples,
                                     uint64_t seed);

// A uniform sample of at most `capacity` values out of a stream of any
// length (Vitter's algorithm R): memory is `capacity` doubles however many
// are added. Deterministic for a given seed and order of values.
class Reservoir {
 public:
  Reservoir(size_t capacity, uint64_t seed) : capacity_(capacity), rng_(seed) {}
  void Add(double value);
  int64_t seen() const { return seen_; }
  const std::vector<double>& values() const { return values_; }

 private:
  size_t capacity_;
  std::mt19937_64 rng_;
  int64_t seen_ = 0;
  std::vector<double> values_;
};

}  // namespace skiff::sdk::stats
