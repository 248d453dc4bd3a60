// SPDX-License-Identifier: Apache-2.0
#include "server_config_writer.h"

namespace skiff::compute_local {

std::optional<int> RequestedPort(const std::string& server_config_json) {
  auto config = config::ParseServerConfig(server_config_json);
  if (!config.ok() || !config->deployment.port) return std::nullopt;
  return *config->deployment.port;
}

std::string WithPort(config::ServerConfig config, int port) {
  config.port = port;
  return config::ToJson(config).dump(2) + "\n";
}

StatusOr<std::string> MakeServerConfig(const std::string& service,
                                       const std::string& server_config_json, const ServiceDir& dir,
                                       const std::string& address, std::optional<int> pinned_port,
                                       const std::optional<LocalTlsOptions>& tls) {
  if (server_config_json.empty()) {
    return InvalidArgument("service '" + service +
                           "': ServiceSpec.server_config_json is empty; the local target needs "
                           "the complete skiff-server configuration (docs/server-config.md)");
  }
  auto parsed = config::ParseServerConfig(server_config_json);
  if (!parsed.ok()) {
    return parsed.status().WithContext("service '" + service + "': ServiceSpec.server_config_json");
  }
  config::ServerConfig config = std::move(parsed).value();
  config.address = address;
  // One process stands in for every replica: it scales its own workers.
  config.scale_workers = true;
  // Azure ML's LocalWebservice scores at http://localhost:<port>/score.
  config.local_score_route = true;
  config.port_file = dir.port_file();
  // Metrics stay on this machine whatever `address` the target serves on:
  // loopback, any free port, reported through the file (GetState).
  config.metrics_address = "127.0.0.1";
  config.metrics_port = 0;
  config.metrics_port_file = dir.metrics_port_file();
  config.status_file = dir.status_file();
  // gRPC (deployment config `grpc.enabled`): any free port, reported
  // through its file (GetState's grpcUri).
  if (config.grpc) config.grpc->port_file = dir.grpc_port_file();
  config.request_log = dir.request_log();
  // Every answer, beside the server's own log; rotated like the request log.
  config.access_log = dir.access_log();
  config.access_log_max_bytes = config.request_log_max_bytes;
  config.access_log_keep = config.request_log_keep;
  // Only a server with a routing key writes it (DataPlane::OpenSinks).
  if (config.routing.sticky()) config.routing.exposure_log = dir.exposure_log();
  config.data_collection_dir = dir.data_dir();
  if (tls) {
    config.tls.emplace();
    config.tls->cert_file = tls->cert_file;
    config.tls->key_file = tls->key_file;
  }
  return WithPort(std::move(config),
                  pinned_port ? *pinned_port : config.deployment.port.value_or(0));
}

}  // namespace skiff::compute_local
