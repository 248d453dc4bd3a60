// SPDX-License-Identifier: Apache-2.0
// DIR/restarts.json: what a service's earlier supervisors did, so that its
// restart count survives a supervisor being replaced (revived after it was
// killed, or restarted on request). Written only by the compute target
// (atomically, under the service's operation lock); supervisor.json holds
// the current supervisor's own count.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

struct RestartHistory {
  int revivals = 0;         // supervisors started again after dying unasked
  int server_restarts = 0;  // server restarts counted by earlier supervisors

  std::string ToJson() const;
  static StatusOr<RestartHistory> FromJson(const std::string& text);
};

// A missing file is an empty history (a service deployed before the file existed).
StatusOr<RestartHistory> ReadRestartHistory(const std::string& path);
Status WriteRestartHistory(const std::string& path, const RestartHistory& history);

}  // namespace skiff::compute_local
