// SPDX-License-Identifier: Apache-2.0
// The local target's create() options, all optional:
//   {"serverBinary": "<path to skiff-server>",
//    "supervisorBinary": "<path to skiff-supervisor>",
//    "pluginPath": "<extra SKIFF_PLUGIN_PATH for the server>",
//    "workspaceDir": "<the workspace, for calls that carry only a service
//                     name (DeleteService, GetState, GetLogs)>",
//    "targetName": "<the compute target's name>",
//    "address": "<optional: the IPv4 or IPv6 literal services listen on;
//                default 127.0.0.1>",
//    "sslCertPemFile": "<optional: PEM certificate chain; services speak https>",
//    "sslKeyPemFile": "<its PEM key, 0600; required with sslCertPemFile>",
//    "sslCname": "<optional: the host name scoring URIs use; the certificate's>"}
// `workspaceDir` and `targetName` are the keys the host adds for every
// compute plugin (compute_target.h). Without `serverBinary` /
// `supervisorBinary` the target finds them itself (executable_finder.h:
// SKIFF_SERVER_BINARY / SKIFF_SUPERVISOR_BINARY, beside its own .so, the
// install dir, PATH); without `pluginPath` it passes on this process's
// SKIFF_PLUGIN_PATH. A local compute target's stored config
// (ComputeSpec::config_json) holds `address` and the ssl* keys (`skiff
// computetarget create local --address --ssl-cert-file --ssl-key-file
// --ssl-cname`, the names the aks target uses). Relative paths are made absolute against the
// caller's directory: the supervisor and its server run from /.
#pragma once

#include <optional>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

// TLS for every service of the target: the servers read the two files
// (and re-read them when they change); nothing is copied.
struct LocalTlsOptions {
  std::string cert_file;  // absolute
  std::string key_file;   // absolute; refused when group or others may read it
  std::string cname;      // "" = scoring URIs name the listen address
};

struct LocalComputeOptions {
  std::string server_binary;      // an executable file; found when not given
  std::string supervisor_binary;  // an executable file; found when not given
  std::string plugin_path;        // prepended to the server's SKIFF_PLUGIN_PATH
  // Optional. Name-only calls need it; without it the target uses the
  // workspace_dir of the last ComputeSpec/ServiceSpec it was given.
  std::string workspace_dir;
  // Where every service of this target listens (server.json's `address`).
  // Anything but loopback serves other machines, over plain HTTP.
  std::string address = "127.0.0.1";
  std::optional<LocalTlsOptions> tls;  // unset: plain http
};

// Parses and validates (binaries exist and are executable); errors name the field.
StatusOr<LocalComputeOptions> ParseOptions(const std::string& options_json);

// The stored target config: {"address", "sslCertPemFile", "sslKeyPemFile",
// "sslCname"} (all optional). Provision and Attach check it with this, so a
// bad address or an unreadable key is refused at create. Returns the address.
StatusOr<std::string> ParseTargetAddress(const std::string& config_json);

}  // namespace skiff::compute_local
