// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/rollout_event.h"

#include <gtest/gtest.h>

namespace skiff {
namespace {

TEST(RolloutEventTest, AFailedStepRoundTripsWithItsGateAndFigures) {
  RolloutEvent event;
  event.time = "2026-12-06T17:02:11.318Z";
  event.endpoint = "shop";
  event.version = "b";
  event.kind = RolloutEventKind::kFailed;
  event.step = 2;
  event.traffic_percentile = 0;
  event.gate = "errorRate";
  event.observed = 0.031;
  event.limit = 0.01;
  event.requests = 812;
  event.reason = "error rate 3.1% over 1% at step 2 (50%)";
  std::string line = RolloutEventToJsonLine(event);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  StatusOr<RolloutEvent> back = ParseRolloutEventLine(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->time, event.time);
  EXPECT_EQ(back->endpoint, "shop");
  EXPECT_EQ(back->version, "b");
  EXPECT_EQ(back->kind, RolloutEventKind::kFailed);
  EXPECT_EQ(back->step, 2);
  EXPECT_EQ(back->gate, "errorRate");
  ASSERT_TRUE(back->observed.has_value());
  EXPECT_DOUBLE_EQ(*back->observed, 0.031);
  ASSERT_TRUE(back->limit.has_value());
  EXPECT_DOUBLE_EQ(*back->limit, 0.01);
  EXPECT_EQ(back->requests, 812);
  EXPECT_EQ(back->reason, event.reason);
}

TEST(RolloutEventTest, AStepWithoutAGateLeavesTheOptionalKeysOut) {
  RolloutEvent event;
  event.time = "2026-12-06T17:00:00.000Z";
  event.endpoint = "shop";
  event.version = "b";
  event.kind = RolloutEventKind::kStarted;
  event.traffic_percentile = 5;
  std::string line = RolloutEventToJsonLine(event);
  EXPECT_EQ(line.find("gate"), std::string::npos);
  EXPECT_EQ(line.find("observed"), std::string::npos);
  StatusOr<RolloutEvent> back = ParseRolloutEventLine(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kind, RolloutEventKind::kStarted);
  EXPECT_EQ(back->traffic_percentile, 5);
  EXPECT_FALSE(back->observed.has_value());
}

TEST(RolloutEventTest, ABadLineNamesTheKey) {
  StatusOr<RolloutEvent> missing = ParseRolloutEventLine(
      R"({"time":"t","endpoint":"e","version":"v","event":"stepped","step":1})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("trafficPercentile"), std::string::npos);
  StatusOr<RolloutEvent> wrong = ParseRolloutEventLine(
      R"({"time":"t","endpoint":"e","version":"v","event":"stepped","step":"1","trafficPercentile":5})");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("'step'"), std::string::npos);
  StatusOr<RolloutEvent> kind = ParseRolloutEventLine(
      R"({"time":"t","endpoint":"e","version":"v","event":"exploded","step":1,"trafficPercentile":5})");
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.status().message().find("started, stepped"), std::string::npos);
  EXPECT_FALSE(ParseRolloutEventLine("not json").ok());
}

}  // namespace
}  // namespace skiff
