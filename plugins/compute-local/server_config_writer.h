// Turns a ServiceSpec's server_config_json into the server.json the local
// target runs: the service directory's paths and the port are overridden.
#pragma once

#include <optional>
#include <string>

#include "service_dir.h"
#include "skiff/status.h"

namespace skiff::compute_local {

// Sets "portFile", "requestLog", "dataCollectionDir" to the service
// directory's, and "port" to `pinned_port` if given, else to
// deploymentConfig.port if present, else 0 (a free port).
// kInvalidArgument if `server_config_json` is empty or not a JSON object.
StatusOr<std::string> MakeServerConfig(const std::string& service,
                                       const std::string& server_config_json, const ServiceDir& dir,
                                       std::optional<int> pinned_port);

// deploymentConfig.port of a server config, if it sets one.
std::optional<int> RequestedPort(const std::string& server_config_json);

}  // namespace skiff::compute_local
