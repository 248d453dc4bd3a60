// SPDX-License-Identifier: Apache-2.0
// Where a local service keeps everything: <workspace>/services/<name>/.
#pragma once

#include <string>

namespace skiff::compute_local {

struct ServiceDir {
  explicit ServiceDir(std::string dir) : root(std::move(dir)) {}
  static ServiceDir For(const std::string& workspace_dir, const std::string& service) {
    return ServiceDir(workspace_dir + "/services/" + service);
  }

  std::string root;
  std::string server_json() const { return root + "/server.json"; }
  std::string port_file() const { return root + "/port"; }
  // The server's metrics listener (loopback), apart from the scoring port.
  std::string metrics_port_file() const { return root + "/metrics-port"; }
  // The server's gRPC listener, when the deployment config asks for one.
  std::string grpc_port_file() const { return root + "/grpc-port"; }
  // What the server serves and refused (skiff/server_status.h).
  std::string status_file() const { return root + "/server-status"; }
  std::string logs_dir() const { return root + "/logs"; }
  std::string server_log() const { return root + "/logs/server.log"; }
  std::string request_log() const { return root + "/logs/requests.jsonl"; }
  std::string access_log() const { return root + "/logs/access.jsonl"; }
  // Sticky A/B: one line per request assigned by its routing key.
  std::string exposure_log() const { return root + "/logs/exposure.jsonl"; }
  std::string data_dir() const { return root + "/data"; }
  std::string supervisor_pid() const { return root + "/supervisor.pid"; }
  std::string supervisor_json() const { return root + "/supervisor.json"; }
  // Earlier supervisors' counts (restart_history.h).
  std::string restart_history() const { return root + "/restarts.json"; }
  // The server pid last seen ready (GetState's "was once healthy").
  std::string ready_marker() const { return root + "/ready.pid"; }
};

}  // namespace skiff::compute_local
