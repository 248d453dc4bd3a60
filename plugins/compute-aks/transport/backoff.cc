// SPDX-License-Identifier: Apache-2.0
#include "transport/backoff.h"

#include <algorithm>

namespace skiff::compute_aks {

std::chrono::milliseconds FullJitterDelay(const BackoffOptions& options, int attempt,
                                          std::mt19937_64& rng) {
  const int64_t cap = std::max<int64_t>(0, options.cap.count());
  int64_t ceiling = std::max<int64_t>(0, options.base.count());
  for (int i = 0; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uniform_int_distribution<int64_t> pick(0, ceiling);
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace skiff::compute_aks
