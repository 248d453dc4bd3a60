// SPDX-License-Identifier: Apache-2.0
// RequestWindow: requests and 5xx answers of one version over the last
// minute, in 60 one-second buckets, so that `skiff service list` can show
// requests/s and an error rate at once instead of sampling a counter twice
// a minute apart. Memory is fixed (60 buckets, whatever the traffic).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "skiff/version_load.h"

namespace skiff::metrics {

class RequestWindow {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kSeconds = 60;

  // The window starts at `start` (a version's first second counts from when
  // its series was made, so a young version's rate is not diluted by a
  // minute it did not exist).
  explicit RequestWindow(Clock::time_point start = Clock::now()) : start_(start) {}

  // Counts one answered request with HTTP status `code` at `now`.
  // Threading: any thread; a short mutex (the bucket and its second).
  void Record(int code, Clock::time_point now = Clock::now());
  // The requests and 5xx of the last kSeconds seconds before `now` (the
  // current second included), and how many seconds that covers.
  // Threading: as Record().
  VersionLoad Sum(Clock::time_point now = Clock::now()) const;

 private:
  struct Bucket {
    int64_t second = -1;  // seconds since start_ this bucket counts; -1: never used
    int64_t requests = 0;
    int64_t server_errors = 0;
  };
  int64_t SecondOf(Clock::time_point t) const;

  const Clock::time_point start_;
  mutable std::mutex mu_;  // guards buckets_
  std::array<Bucket, kSeconds> buckets_{};
};

}  // namespace skiff::metrics
