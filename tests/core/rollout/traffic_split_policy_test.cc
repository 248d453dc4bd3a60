// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/traffic_split_policy.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace skiff {
namespace {

VersionSpec V(std::string name, int pct, bool is_default = false,
              VersionType type = VersionType::kTreatment) {
  return VersionSpec{std::move(name), pct, is_default, type};
}

VersionStatus S(VersionSpec spec, VersionState state, bool wanted = true, int64_t in_flight = 0) {
  return VersionStatus{std::move(spec), state, wanted, in_flight};
}

struct ValidateCase {
  const char* label;
  std::vector<VersionSpec> versions;
  const char* error;  // substring; nullptr = valid
};

TEST(RolloutTrafficSplitTest, ValidateRules) {
  const std::vector<ValidateCase> cases = {
      {"one default", {V("a", 0, true)}, nullptr},
      {"90/10", {V("a", 90, true), V("b", 10)}, nullptr},
      {"sum exactly 100", {V("a", 20, true), V("b", 10), V("c", 70)}, nullptr},
      {"six versions", {V("a", 0, true), V("b", 1), V("c", 1), V("d", 1), V("e", 1), V("f", 1)},
       nullptr},
      {"control plus treatment", {V("a", 50, true, VersionType::kControl), V("b", 50)}, nullptr},
      {"none", {}, "at least one version"},
      {"seven versions",
       {V("a", 0, true), V("b", 1), V("c", 1), V("d", 1), V("e", 1), V("f", 1), V("g", 1)},
       "at most 6 versions, got 7"},
      {"sum over 100", {V("a", 60, true), V("b", 41)}, "sum to 101, more than 100"},
      {"negative", {V("a", -1, true)}, "traffic_percentile must be 0-100, got -1"},
      {"over 100", {V("a", 101, true)}, "traffic_percentile must be 0-100, got 101"},
      {"no default", {V("a", 50), V("b", 50)}, "exactly one version must be the default"},
      {"two defaults", {V("a", 50, true), V("b", 50, true)}, "found 2"},
      {"two controls",
       {V("a", 50, true, VersionType::kControl), V("b", 50, false, VersionType::kControl)},
       "at most one version may be the control"},
      {"duplicate name", {V("a", 50, true), V("a", 50)}, "appears twice"},
      {"empty name", {V("", 50, true)}, "must not be empty"},
  };
  TrafficSplitPolicy policy;
  for (const auto& c : cases) {
    Status s = policy.Validate(c.versions);
    if (c.error == nullptr) {
      EXPECT_TRUE(s.ok()) << c.label << ": " << s.ToString();
    } else {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.label;
      EXPECT_NE(s.message().find(c.error), std::string::npos) << c.label << ": " << s.message();
    }
  }
}

TEST(RolloutTrafficSplitTest, RouteGivesUnallocatedTrafficToDefault) {
  TrafficSplitPolicy policy;
  auto table = policy.Route({S(V("blue", 10, true), VersionState::kReady),
                             S(V("green", 20), VersionState::kReady)});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->default_version, "blue");
  ASSERT_EQ(table->entries.size(), 2u);
  EXPECT_EQ(table->Pick(0), "green");
  EXPECT_EQ(table->Pick(19.99), "green");
  EXPECT_EQ(table->Pick(20), "blue");
  EXPECT_EQ(table->Pick(99.99), "blue");
}

TEST(RolloutTrafficSplitTest, NotReadyTreatmentTrafficGoesToDefault) {
  TrafficSplitPolicy policy;
  auto table = policy.Route({S(V("blue", 50, true), VersionState::kReady),
                             S(V("green", 50), VersionState::kLoading)});
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->entries.size(), 1u);
  EXPECT_EQ(table->Pick(10), "blue");
}

TEST(RolloutTrafficSplitTest, DeletedVersionGetsNoTraffic) {
  TrafficSplitPolicy policy;
  auto table = policy.Route({S(V("blue", 0, true), VersionState::kReady),
                             S(V("green", 50), VersionState::kReady, /*wanted=*/false)});
  ASSERT_TRUE(table.ok());
  for (double u : {0.0, 25.0, 49.0, 75.0}) EXPECT_EQ(table->Pick(u), "blue");
}

TEST(RolloutTrafficSplitTest, DefaultNotReadyScalesReadyVersions) {
  TrafficSplitPolicy policy;
  auto table = policy.Route({S(V("blue", 0, true), VersionState::kLoading),
                             S(V("a", 10), VersionState::kReady),
                             S(V("b", 30), VersionState::kReady)});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Pick(24.9), "a");
  EXPECT_EQ(table->Pick(25.1), "b");
  EXPECT_EQ(table->Pick(99.9), "b");
}

// Issue 17.7: an unreachable version is Ready (loaded, its state is not
// bent into kLoading) with reachable=false, and the policy routes around it.
TEST(RolloutTrafficSplitTest, UnreachableReadyTreatmentTrafficGoesToDefault) {
  TrafficSplitPolicy policy;
  VersionStatus green = S(V("green", 50), VersionState::kReady);
  green.reachable = false;
  auto table = policy.Route({S(V("blue", 50, true), VersionState::kReady), green});
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->entries.size(), 1u);
  for (double u : {0.0, 49.9, 50.0, 99.9}) EXPECT_EQ(table->Pick(u), "blue");
}

TEST(RolloutTrafficSplitTest, UnreachableDefaultScalesTheOthers) {
  TrafficSplitPolicy policy;
  VersionStatus blue = S(V("blue", 0, true), VersionState::kReady);
  blue.reachable = false;
  auto table = policy.Route({blue, S(V("a", 10), VersionState::kReady),
                             S(V("b", 30), VersionState::kReady)});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Pick(24.9), "a");
  EXPECT_EQ(table->Pick(99.9), "b");
  VersionStatus a = S(V("a", 10), VersionState::kReady);
  a.reachable = false;
  EXPECT_EQ(policy.Route({blue, a}).status().code(), StatusCode::kUnavailable)
      << "nothing reachable: nothing to route to";
}

TEST(RolloutTrafficSplitTest, NothingReadyIsUnavailable) {
  TrafficSplitPolicy policy;
  auto table = policy.Route({S(V("blue", 0, true), VersionState::kLoading)});
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kUnavailable);
}

TEST(RolloutTrafficSplitTest, PickFollowsWeights) {
  TrafficSplitPolicy policy;
  auto table = policy.Route({S(V("a", 20), VersionState::kReady),
                             S(V("b", 10), VersionState::kReady),
                             S(V("c", 70, true), VersionState::kReady)});
  ASSERT_TRUE(table.ok());
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 100);
  std::map<std::string, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) counts[table->Pick(u(rng))]++;
  // Chi-square with 2 degrees of freedom; 9.21 is the p = 0.01 critical value.
  double chi2 = 0;
  for (auto [name, share] : std::map<std::string, double>{{"a", .2}, {"b", .1}, {"c", .7}}) {
    double expected = share * n;
    chi2 += (counts[name] - expected) * (counts[name] - expected) / expected;
  }
  EXPECT_LT(chi2, 9.21) << "a=" << counts["a"] << " b=" << counts["b"] << " c=" << counts["c"];
}

TEST(RolloutTrafficSplitTest, NextActionLoadsBeforeDrainingThenUnloadsWhenIdle) {
  TrafficSplitPolicy policy;
  // A new version is loaded first, even while an old one should go.
  auto a = policy.NextAction({S(V("old", 0, true), VersionState::kReady, false),
                              S(V("new", 0, true), VersionState::kAbsent)});
  EXPECT_EQ(a.kind, RolloutAction::Kind::kLoad);
  EXPECT_EQ(a.version, "new");
  // Then the unwanted one drains.
  a = policy.NextAction({S(V("old", 0), VersionState::kReady, false),
                         S(V("new", 0, true), VersionState::kReady)});
  EXPECT_EQ(a.kind, RolloutAction::Kind::kDrain);
  EXPECT_EQ(a.version, "old");
  // It is not unloaded while requests are in flight.
  a = policy.NextAction({S(V("old", 0), VersionState::kDraining, false, 3),
                         S(V("new", 0, true), VersionState::kReady)});
  EXPECT_EQ(a.kind, RolloutAction::Kind::kNone);
  a = policy.NextAction({S(V("old", 0), VersionState::kDraining, false, 0),
                         S(V("new", 0, true), VersionState::kReady)});
  EXPECT_EQ(a.kind, RolloutAction::Kind::kUnload);
  EXPECT_EQ(a.version, "old");
  // Settled.
  a = policy.NextAction({S(V("new", 0, true), VersionState::kReady)});
  EXPECT_EQ(a.kind, RolloutAction::Kind::kNone);
}

}  // namespace
}  // namespace skiff
