// SPDX-License-Identifier: Apache-2.0
// Turns a ServiceSpec's server_config_json into the server.json the local
// target runs: the service directory's paths and the port are overridden.
// The schema is skiff/config/server_config.h's; this file only sets fields.
#pragma once

#include <optional>
#include <string>

#include "options.h"
#include "service_dir.h"
#include "skiff/config/server_config.h"
#include "skiff/status.h"

namespace skiff::compute_local {

// Sets portFile, metricsPortFile, requestLog, dataCollectionDir to the
// service directory's, the address to the target's `address` (metrics stay
// on 127.0.0.1, any free port), scaleWorkers on (autoScaler scales the one
// server's workers), localScoreRoute on (Azure's LocalWebservice /score),
// and the port to `pinned_port` if given, else to deploymentConfig.port if
// present, else 0 (a free port), and `tls` to the target's certificate
// files when it has them. kInvalidArgument if `server_config_json` is empty
// or not a valid server config (the message names the field).
StatusOr<std::string> MakeServerConfig(const std::string& service,
                                       const std::string& server_config_json, const ServiceDir& dir,
                                       const std::string& address, std::optional<int> pinned_port,
                                       const std::optional<LocalTlsOptions>& tls = std::nullopt);

// deploymentConfig.port of a server config, if it sets one.
std::optional<int> RequestedPort(const std::string& server_config_json);

// The server.json in place with its port set to `port`, as text to write.
std::string WithPort(config::ServerConfig config, int port);

}  // namespace skiff::compute_local
