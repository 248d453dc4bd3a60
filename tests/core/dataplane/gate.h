// SPDX-License-Identifier: Apache-2.0
// What the scoring-pool tests steer fake models with: a latch the test
// opens (models block on it inside Score()), and a wait for a condition
// with a deadline instead of a sleep.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace skiff::testing {

class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Until `cond` holds (10 s at most; then the test fails).
inline void WaitFor(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(cond());
}

}  // namespace skiff::testing
