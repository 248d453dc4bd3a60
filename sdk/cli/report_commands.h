// SPDX-License-Identifier: Apache-2.0
// `skiff endpoint report` (registered by AddEndpointCommands).
#pragma once

#include "cli.h"

namespace skiff::cli {

void AddEndpointReportCommand(CLI::App* endpoint_group, GlobalOptions& options);

}  // namespace skiff::cli
