// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 3: sticky assignment is consistent. The figures (share per
// version, keys moved) are printed by bench/sticky_assignment.sh; here the
// bounds are loose (many standard deviations) so no seed makes them flake.
#include "skiff/rollout/sticky_assignment.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace skiff {
namespace {

constexpr int kKeys = 100000;

RoutingTable Table(std::vector<std::pair<std::string, double>> shares) {
  RoutingTable t;
  double upper = 0;
  for (auto& [name, share] : shares) {
    upper += share;
    t.entries.push_back({name, upper});
  }
  t.default_version = t.entries.back().version;
  return t;
}

// 100,000 keys' points, as RoutingPoint gives them from HMAC digests
// (uniform 64-bit values), from a fixed seed.
std::vector<uint64_t> Points() {
  std::mt19937_64 rng(20261206);
  std::vector<uint64_t> points(kKeys);
  for (auto& p : points) p = rng();
  return points;
}

std::vector<std::string> Assign(const RoutingTable& t, const std::vector<uint64_t>& points) {
  std::vector<std::string> out;
  out.reserve(points.size());
  for (uint64_t p : points) out.push_back(AssignSticky(t, p));
  return out;
}

TEST(StickyAssignmentTest, SameKeySameVersionAndSharesFollowTheTable) {
  const auto points = Points();
  const RoutingTable t = Table({{"b", 10}, {"c", 20}, {"a", 70}});
  const auto first = Assign(t, points);
  EXPECT_EQ(Assign(t, points), first) << "a key's version depends only on the table and the key";
  std::map<std::string, int> n;
  for (const auto& v : first) ++n[v];
  EXPECT_NEAR(n["b"] / double(kKeys), 0.10, 0.01);
  EXPECT_NEAR(n["c"] / double(kKeys), 0.20, 0.01);
  EXPECT_NEAR(n["a"] / double(kKeys), 0.70, 0.01);
}

// The case: raising a version's share from 10 % to 20 % moves about
// 10 % of the keys, all of them to that version.
TEST(StickyAssignmentTest, RaisingAShareFrom10To20MovesAbout10PercentOfKeysAllToIt) {
  const auto points = Points();
  const auto before = Assign(Table({{"b", 10}, {"a", 90}}), points);
  const auto after = Assign(Table({{"b", 20}, {"a", 80}}), points);
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] == after[i]) continue;
    ++moved;
    EXPECT_EQ(after[i], "b") << "a key moves only to the version whose share grew";
  }
  EXPECT_NEAR(moved / double(kKeys), 0.10, 0.01);
}

// With several treatments the default's share shrinks as b grows, and a
// stateless scheme cannot keep every other version's keys exactly (see
// docs/rollout.md): c trades about 0.9 % of keys with the others. Still far
// from the 20 % that cumulative ranges move (c's whole range shifts there).
TEST(StickyAssignmentTest, ThreeVersionsMoveAbout10PercentToTheGrowingOne) {
  const auto points = Points();
  const auto before = Assign(Table({{"b", 10}, {"c", 10}, {"a", 80}}), points);
  const auto after = Assign(Table({{"b", 20}, {"c", 10}, {"a", 70}}), points);
  int moved = 0, to_b = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] == after[i]) continue;
    ++moved;
    to_b += after[i] == "b";
    EXPECT_NE(before[i], "b") << "b's keys stay with b while its share grows";
  }
  EXPECT_NEAR(to_b / double(kKeys), 0.10, 0.01);
  EXPECT_LT(moved / double(kKeys), 0.13);
}

// A version that leaves the table loses only its own keys, spread over the
// others by their shares, and gets the same keys back when it returns. (The
// endpoint sends an unreachable version's keys to the default instead:
// Endpoint::Pick.)
TEST(StickyAssignmentTest, AVersionLeavingLosesOnlyItsKeysAndGetsThemBack) {
  const auto points = Points();
  const RoutingTable all = Table({{"b", 10}, {"c", 20}, {"a", 70}});
  const auto before = Assign(all, points);
  const auto without_c = Assign(Table({{"b", 10}, {"a", 70}}), points);
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] == "c") continue;
    ASSERT_EQ(without_c[i], before[i]) << "key " << i;
  }
  EXPECT_EQ(Assign(all, points), before);
}

TEST(StickyAssignmentTest, ZeroSharesNeverWinAndAnEmptyTableGivesNothing) {
  RoutingTable t = Table({{"b", 0}, {"a", 100}});
  for (uint64_t p : Points()) ASSERT_EQ(AssignSticky(t, p), "a");
  EXPECT_EQ(AssignSticky(RoutingTable{}, 42), "");
}

TEST(StickyAssignmentTest, RoutingPointReadsTheDigestsFirst16HexDigits) {
  auto p = RoutingPoint("00000000000000ff" + std::string(48, '0'));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, 255u);
  EXPECT_EQ(RoutingPoint("abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RoutingPoint("zz00000000000000").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skiff
