// SPDX-License-Identifier: Apache-2.0
// The answer of GET /load on skiff-server's metrics listener: each version's
// last minute (VersionLoad). The one owner of its format: the server writes
// it with SerializeLoadReport() (MetricsEndpoint), the local compute target
// reads it with ParseLoadReport() into ServiceStatus::load.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"
#include "skiff/version_load.h"

namespace skiff {

// {"versions": [{"version": "v1", "requests": 12, "serverErrors": 0, "seconds": 60}]}
std::string SerializeLoadReport(const std::vector<VersionLoad>& load);
// kDataLoss naming the field for anything but Serialize's output (a
// version missing, a negative count).
StatusOr<std::vector<VersionLoad>> ParseLoadReport(std::string_view text);

}  // namespace skiff
