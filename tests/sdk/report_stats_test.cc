// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 4: the statistics of `skiff endpoint report`
// (sdk/src/report_stats.h) against reference values computed independently
// with Debian's python3-scipy / numpy. The script that gives them is in
// each test's comment; rerun it with /usr/bin/python3 to check a value.
#include "report_stats.h"

#include <gtest/gtest.h>

namespace {

using namespace skiff::sdk::stats;

// Textbook values: Phi(0) = 0.5, Phi(1.959964) = 0.975.
TEST(ReportStatsTest, NormalCdfHasTheTextbookValues) {
  EXPECT_DOUBLE_EQ(NormalCdf(0), 0.5);
  EXPECT_NEAR(NormalCdf(1.959963984540054), 0.975, 1e-12);
  EXPECT_NEAR(TwoSidedP(1.959963984540054), 0.05, 1e-12);
  EXPECT_NEAR(TwoSidedP(-2.5758293035489), 0.01, 1e-12);
}

// numpy.percentile(q, [0, 25, 50, 95, 99, 100]) of
// q = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3] -> 1, 2.25, 3.5, 7.65, 8.73, 9.
TEST(ReportStatsTest, QuantileIsNumpysDefaultLinearInterpolation) {
  std::vector<double> q = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
  std::sort(q.begin(), q.end());
  EXPECT_DOUBLE_EQ(Quantile(q, 0), 1);
  EXPECT_NEAR(Quantile(q, 0.25), 2.25, 1e-12);
  EXPECT_NEAR(Quantile(q, 0.5), 3.5, 1e-12);
  EXPECT_NEAR(Quantile(q, 0.95), 7.65, 1e-12);
  EXPECT_NEAR(Quantile(q, 0.99), 8.73, 1e-12);
  EXPECT_DOUBLE_EQ(Quantile(q, 1), 9);
  EXPECT_DOUBLE_EQ(Quantile({42}, 0.99), 42);
}

// p1 = x1/n1, p2 = x2/n2, d = p2 - p1;
// Wald: d -+ norm.ppf(0.975) * sqrt(p1(1-p1)/n1 + p2(1-p2)/n2);
// z = d / sqrt(p(1-p)(1/n1+1/n2)), p = (x1+x2)/(n1+n2); 2 * norm.sf(|z|).
TEST(ReportStatsTest, TwoProportionTestMatchesScipy) {
  TwoProportionResult r = TwoProportionTest(30, 1000, 52, 1000);
  EXPECT_NEAR(r.difference, 0.022, 1e-12);
  EXPECT_NEAR(r.ci_low, 0.00464618181186, 1e-11);
  EXPECT_NEAR(r.ci_high, 0.0393538181881, 1e-11);
  EXPECT_NEAR(r.z, 2.48088395906, 1e-9);
  EXPECT_NEAR(r.p_value, 0.0131057030456, 1e-11);

  r = TwoProportionTest(5, 200, 3, 150);
  EXPECT_NEAR(r.difference, -0.005, 1e-12);
  EXPECT_NEAR(r.ci_low, -0.0361468844832, 1e-11);
  EXPECT_NEAR(r.ci_high, 0.0261468844832, 1e-11);
  EXPECT_NEAR(r.z, -0.309746642365, 1e-9);
  EXPECT_NEAR(r.p_value, 0.756753630421, 1e-10);
}

TEST(ReportStatsTest, TwoProportionTestWithNoErrorsAnywhereIsNoDifference) {
  TwoProportionResult r = TwoProportionTest(0, 100, 0, 50);
  EXPECT_EQ(r.difference, 0);
  EXPECT_EQ(r.z, 0);
  EXPECT_EQ(r.p_value, 1);
  EXPECT_EQ(r.ci_low, 0);
  EXPECT_EQ(r.ci_high, 0);
}

// scipy.stats.mannwhitneyu(t, c, use_continuity=False, method="asymptotic")
// with ties (2.2 three times, 3.3 and 5.0 twice): U = 46, p = 0.0362292454574.
TEST(ReportStatsTest, MannWhitneyUWithTiesMatchesScipy) {
  const std::vector<double> c = {1.2, 3.4, 2.2, 5.0, 2.2, 4.1, 3.3};
  const std::vector<double> t = {2.2, 6.1, 5.0, 7.3, 4.4, 3.3, 8.0, 5.5};
  MannWhitneyResult r = MannWhitneyU(c, t);
  EXPECT_DOUBLE_EQ(r.u, 46);
  EXPECT_NEAR(r.probability_treatment_slower, 46.0 / 56.0, 1e-12);
  EXPECT_GT(r.z, 0) << "the treatment is slower";
  EXPECT_NEAR(r.p_value, 0.0362292454574, 1e-11);
  // Swapped, U is the other side's and p the same.
  MannWhitneyResult s = MannWhitneyU(t, c);
  EXPECT_DOUBLE_EQ(s.u, 56 - 46);
  EXPECT_NEAR(s.p_value, r.p_value, 1e-12);
}

TEST(ReportStatsTest, MannWhitneyUOfIdenticalValuesIsNoDifference) {
  MannWhitneyResult r = MannWhitneyU({2, 2, 2}, {2, 2});
  EXPECT_DOUBLE_EQ(r.u, 3);
  EXPECT_DOUBLE_EQ(r.probability_treatment_slower, 0.5);
  EXPECT_EQ(r.p_value, 1);
}

// ctrl = [10 + (i*37 % 101)/10 for i in range(400)],
// trt = [12 + (i*53 % 103)/10 for i in range(300)]; scipy.stats.bootstrap(
// (ctrl, trt), percentile(trt) - percentile(ctrl), method="percentile",
// n_resamples=4000) gives p50: observed 2.1, [1.35, 2.90]; p99: observed
// 2.2, [2.0, 2.399]. A different generator draws different resamples, so
// the bounds agree to within the bootstrap's own noise, not digit for digit.
TEST(ReportStatsTest, BootstrapIntervalAgreesWithScipyAndIsReproducible) {
  std::vector<double> ctrl, trt;
  for (int i = 0; i < 400; ++i) ctrl.push_back(10 + (i * 37 % 101) / 10.0);
  for (int i = 0; i < 300; ++i) trt.push_back(12 + (i * 53 % 103) / 10.0);
  Interval p50 = BootstrapQuantileDifference(ctrl, trt, 0.5, 4000, 7);
  EXPECT_NEAR(p50.low, 1.35, 0.25);
  EXPECT_NEAR(p50.high, 2.90, 0.25);
  EXPECT_LT(p50.low, 2.1);
  EXPECT_GT(p50.high, 2.1);
  Interval p99 = BootstrapQuantileDifference(ctrl, trt, 0.99, 4000, 7);
  EXPECT_NEAR(p99.low, 2.0, 0.15);
  EXPECT_NEAR(p99.high, 2.399, 0.15);
  Interval again = BootstrapQuantileDifference(ctrl, trt, 0.5, 4000, 7);
  EXPECT_EQ(again.low, p50.low) << "a fixed seed gives the same interval";
  EXPECT_EQ(again.high, p50.high);
}

TEST(ReportStatsTest, ReservoirKeepsAUniformSampleInBoundedMemory) {
  Reservoir r(1000, 1);
  for (int i = 0; i < 100000; ++i) r.Add(i);
  EXPECT_EQ(r.seen(), 100000);
  ASSERT_EQ(r.values().size(), 1000u);
  // A uniform sample of 0..99999 has mean ~50000 (sd of the mean ~913).
  double sum = 0;
  int below_half = 0;
  for (double v : r.values()) {
    sum += v;
    below_half += v < 50000;
  }
  EXPECT_NEAR(sum / 1000, 50000, 4000);
  EXPECT_NEAR(below_half, 500, 80);
  Reservoir small(10, 1);
  for (int i = 0; i < 5; ++i) small.Add(i);
  EXPECT_EQ(small.values(), (std::vector<double>{0, 1, 2, 3, 4})) << "all kept below capacity";
}

}  // namespace
