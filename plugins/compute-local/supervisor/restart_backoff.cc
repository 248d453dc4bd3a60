// SPDX-License-Identifier: Apache-2.0
#include "supervisor/restart_backoff.h"

#include <algorithm>

namespace skiff::compute_local {

std::chrono::milliseconds RestartBackoff::OnExit(std::chrono::milliseconds ran) {
  if (ran >= options_.healthy_run) next_ = options_.initial;
  if (ran < options_.fast_failure) {
    ++fast_failures_;
  } else {
    fast_failures_ = 0;
  }
  // Once failed, keep retrying at the slowest pace.
  const std::chrono::milliseconds delay = failed() ? options_.max : next_;
  next_ = std::min(next_ * 2, options_.max);
  return delay;
}

void RestartBackoff::OnRunning(std::chrono::milliseconds running) {
  if (running >= options_.fast_failure) fast_failures_ = 0;
}

}  // namespace skiff::compute_local
