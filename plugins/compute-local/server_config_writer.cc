#include "server_config_writer.h"

#include <nlohmann/json.hpp>

namespace skiff::compute_local {

using nlohmann::json;

std::optional<int> RequestedPort(const std::string& server_config_json) {
  json j = json::parse(server_config_json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("deploymentConfig");
  if (it == j.end() || !it->is_object()) return std::nullopt;
  auto port = it->find("port");
  if (port == it->end() || !port->is_number_integer()) return std::nullopt;
  return port->get<int>();
}

StatusOr<std::string> MakeServerConfig(const std::string& service,
                                       const std::string& server_config_json, const ServiceDir& dir,
                                       std::optional<int> pinned_port) {
  if (server_config_json.empty()) {
    return InvalidArgument("service '" + service +
                           "': ServiceSpec.server_config_json is empty; the local target needs "
                           "the complete skiff-server configuration (docs/server-config.md)");
  }
  json j = json::parse(server_config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("service '" + service +
                           "': ServiceSpec.server_config_json is not a JSON object");
  }
  j["portFile"] = dir.port_file();
  j["statusFile"] = dir.status_file();
  j["requestLog"] = dir.request_log();
  j["dataCollectionDir"] = dir.data_dir();
  if (pinned_port) {
    j["port"] = *pinned_port;
  } else {
    j["port"] = RequestedPort(server_config_json).value_or(0);
  }
  return j.dump(2) + "\n";
}

}  // namespace skiff::compute_local
