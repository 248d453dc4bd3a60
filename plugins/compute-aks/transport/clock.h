// SPDX-License-Identifier: Apache-2.0
// Clock: wall time and sleeping, injectable so tests of retries and
// long-running operations run in microseconds.
#pragma once

#include <chrono>
#include <memory>

namespace skiff::compute_aks {

class Clock {
 public:
  virtual ~Clock();
  // Wall-clock time (system_clock: Retry-After may be an HTTP date).
  virtual std::chrono::system_clock::time_point Now() = 0;
  virtual void Sleep(std::chrono::milliseconds duration) = 0;
};

// The real clock (std::this_thread::sleep_for). Thread-safe.
std::shared_ptr<Clock> RealClock();

}  // namespace skiff::compute_aks
