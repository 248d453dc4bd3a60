// SPDX-License-Identifier: Apache-2.0
// Capped exponential backoff with full jitter (AWS architecture blog,
// "Exponential Backoff And Jitter"): delay = uniform(0, min(cap, base * 2^n)).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace skiff::compute_aks {

struct BackoffOptions {
  std::chrono::milliseconds base{1000};  // the ceiling of the first retry's delay
  std::chrono::milliseconds cap{60 * 1000};
};

// The delay before retry number `attempt` (0 for the first retry).
std::chrono::milliseconds FullJitterDelay(const BackoffOptions& options, int attempt,
                                          std::mt19937_64& rng);

}  // namespace skiff::compute_aks
