// SPDX-License-Identifier: Apache-2.0
#include "supervisor/restart_backoff.h"

#include <gtest/gtest.h>

namespace skiff::compute_local {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ComputeLocalBackoffTest, DoublesFromHalfASecondAndFailsAfterFiveFastFailures) {
  RestartBackoff b;
  EXPECT_EQ(b.OnExit(milliseconds(100)), milliseconds(500));
  EXPECT_EQ(b.OnExit(milliseconds(100)), milliseconds(1000));
  EXPECT_EQ(b.OnExit(milliseconds(100)), milliseconds(2000));
  EXPECT_EQ(b.OnExit(milliseconds(100)), milliseconds(4000));
  EXPECT_FALSE(b.failed());
  EXPECT_EQ(b.OnExit(milliseconds(100)), milliseconds(30000)) << "failed: the slowest pace";
  EXPECT_TRUE(b.failed());
  EXPECT_EQ(b.OnExit(milliseconds(100)), milliseconds(30000));
  b.OnRunning(seconds(10));
  EXPECT_FALSE(b.failed()) << "a run of 10 s is no longer a fast failure";
}

TEST(ComputeLocalBackoffTest, CapsAtThirtySecondsAndResetsAfterAMinuteOfRunning) {
  RestartBackoff b;
  milliseconds last{0};
  for (int i = 0; i < 10; ++i) last = b.OnExit(seconds(20));  // slow failures: never "failed"
  EXPECT_EQ(last, milliseconds(30000));
  EXPECT_FALSE(b.failed());
  EXPECT_EQ(b.OnExit(seconds(60)), milliseconds(500)) << "60 s of running resets the delay";
  EXPECT_EQ(b.OnExit(seconds(20)), milliseconds(1000));
}

TEST(ComputeLocalBackoffTest, ASlowFailureBreaksTheFastStreak) {
  RestartBackoff b;
  for (int i = 0; i < 4; ++i) b.OnExit(milliseconds(10));
  b.OnExit(seconds(11));
  EXPECT_EQ(b.consecutive_fast_failures(), 0);
  for (int i = 0; i < 4; ++i) b.OnExit(milliseconds(10));
  EXPECT_FALSE(b.failed());
}

}  // namespace
}  // namespace skiff::compute_local
