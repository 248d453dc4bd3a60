// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/request_window.h"

#include <algorithm>

namespace skiff::metrics {

int64_t RequestWindow::SecondOf(Clock::time_point t) const {
  // A time before the start (a caller's clock read early) counts in second 0.
  return std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(t - start_).count());
}

void RequestWindow::Record(int code, Clock::time_point now) {
  const int64_t second = SecondOf(now);
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[static_cast<size_t>(second % kSeconds)];
  if (b.second != second) b = Bucket{second, 0, 0};  // a minute old: reused
  ++b.requests;
  if (code >= 500 && code <= 599) ++b.server_errors;
}

VersionLoad RequestWindow::Sum(Clock::time_point now) const {
  const int64_t second = SecondOf(now);
  VersionLoad load;
  load.seconds = static_cast<int32_t>(std::min<int64_t>(kSeconds, second + 1));
  std::lock_guard<std::mutex> lock(mu_);
  for (const Bucket& b : buckets_) {
    if (b.second < 0 || b.second > second || second - b.second >= kSeconds) continue;
    load.requests += b.requests;
    load.server_errors += b.server_errors;
  }
  return load;
}

}  // namespace skiff::metrics
