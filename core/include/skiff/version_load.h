// SPDX-License-Identifier: Apache-2.0
// VersionLoad: what one version served over the last minute, as skiff-server
// counts it itself (metrics::RequestWindow). A compute target reports it in
// ServiceStatus::load; the CLI turns it into requests/s and an error rate
// (`skiff service list`). Standard library only: compute_target.h carries it.
// The server's answer that holds it (GET /load on the metrics listener) has
// its one owner in skiff/metrics/load_report.h.
#pragma once

#include <cstdint>
#include <string>

namespace skiff {

struct VersionLoad {
  std::string version;        // the version's name in the server config
  int64_t requests = 0;       // scoring requests answered in the window
  int64_t server_errors = 0;  // of those, answered 5xx
  // Seconds the window covers: 60, or less while the version is younger
  // than a minute, so requests / seconds is the rate it saw.
  int32_t seconds = 0;
};

}  // namespace skiff
