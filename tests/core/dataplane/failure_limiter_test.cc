// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/failure_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "skiff/dataplane/auth_responses.h"

namespace skiff::dataplane {
namespace {

using std::chrono::seconds;

class DataplaneFailureLimiterTest : public ::testing::Test {
 protected:
  FailureLimiter::Options Opts() {
    FailureLimiter::Options o;
    o.now = [this] { return now_; };
    return o;
  }
  FailureLimiter::Clock::time_point now_{seconds(1000)};
};

TEST_F(DataplaneFailureLimiterTest, TwentyFailuresBlockOnlyThatClient) {
  FailureLimiter limiter(Opts());
  for (int i = 0; i < 19; ++i) EXPECT_EQ(limiter.RecordFailure("10.0.0.1"), 0) << i;
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 0);
  EXPECT_EQ(limiter.RecordFailure("10.0.0.1"), 10);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 10);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.2"), 0);
  EXPECT_EQ(limiter.RecordFailure("10.0.0.2"), 0);

  now_ += seconds(9);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 1);
  now_ += std::chrono::milliseconds(500);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 1);  // rounded up
  now_ += std::chrono::milliseconds(500);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 0);  // unblocked after the window
  EXPECT_EQ(limiter.RecordFailure("10.0.0.1"), 0);      // and counting afresh
}

TEST_F(DataplaneFailureLimiterTest, FailuresSpreadOverMoreThanTheWindowDoNotBlock) {
  FailureLimiter limiter(Opts());
  for (int i = 0; i < 19; ++i) limiter.RecordFailure("c");
  now_ += seconds(10);
  for (int i = 0; i < 19; ++i) EXPECT_EQ(limiter.RecordFailure("c"), 0);
  EXPECT_EQ(limiter.RetryAfterSeconds("c"), 0);
}

TEST_F(DataplaneFailureLimiterTest, MemoryIsBoundedAndOldestIsEvicted) {
  auto o = Opts();
  o.max_tracked_clients = 4;
  o.shards = 1;
  o.max_failures = 2;
  FailureLimiter limiter(o);
  limiter.RecordFailure("a");
  limiter.RecordFailure("a");  // blocked
  EXPECT_GT(limiter.RetryAfterSeconds("a"), 0);
  for (const char* c : {"b", "c", "d", "e"}) limiter.RecordFailure(c);
  EXPECT_EQ(limiter.TrackedClients(), 4u);
  EXPECT_EQ(limiter.RetryAfterSeconds("a"), 0);  // forgotten: the oldest
  for (int i = 0; i < 1000; ++i) limiter.RecordFailure("x" + std::to_string(i));
  EXPECT_EQ(limiter.TrackedClients(), 4u);
}

TEST_F(DataplaneFailureLimiterTest, ConcurrentClientsAreCountedExactly) {
  FailureLimiter limiter(Opts());  // the clock does not move: one window
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&limiter, t] {
      const std::string client = "client-" + std::to_string(t);
      for (int i = 0; i < 19; ++i) limiter.RecordFailure(client);
      for (int i = 0; i < 1000; ++i) limiter.RetryAfterSeconds(client);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) {
    const std::string client = "client-" + std::to_string(t);
    EXPECT_EQ(limiter.RetryAfterSeconds(client), 0);
    EXPECT_EQ(limiter.RecordFailure(client), 10);
  }
}

TEST(DataplaneAuthResponsesTest, UniformUnauthorizedResponse) {
  EXPECT_EQ(kUnauthorizedStatus, 401);
  EXPECT_STREQ(kWwwAuthenticateHeader, "WWW-Authenticate");
  EXPECT_STREQ(kWwwAuthenticateValue, "Bearer");
  EXPECT_EQ(kTooManyRequestsStatus, 429);
  EXPECT_STREQ(kRetryAfterHeader, "Retry-After");
}

}  // namespace
}  // namespace skiff::dataplane
