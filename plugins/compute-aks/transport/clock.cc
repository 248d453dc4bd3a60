// SPDX-License-Identifier: Apache-2.0
#include "transport/clock.h"

#include <thread>

namespace skiff::compute_aks {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
  void Sleep(std::chrono::milliseconds duration) override {
    if (duration.count() > 0) std::this_thread::sleep_for(duration);
  }
};

}  // namespace

Clock::~Clock() = default;

std::shared_ptr<Clock> RealClock() { return std::make_shared<SystemClock>(); }

}  // namespace skiff::compute_aks
