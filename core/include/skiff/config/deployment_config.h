// SPDX-License-Identifier: Apache-2.0
// deploymentconfig.json: how a service is deployed (resources, scaling, auth,
// timeouts). The schema is Azure ML's AKS deployment config (camelCase keys)
// plus skiff extensions: `port`, `maxRequestBodyBytes` and `cors`. Every field and
// default is documented in docs/deployment-config.md.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"
#include "skiff/util/log.h"

namespace skiff::config {

// Where the service runs: the name of a compute plugin
// (libskiff_compute_<name>.so), the same string as a compute target's type.
// The set is open: "local" (worker processes on this machine, the default),
// "aks" (Azure Kubernetes Service), or any other installed compute plugin.
struct ComputeType {
  std::string name = "local";
  static const ComputeType kLocal;  // "local"
  static const ComputeType kAks;    // "aks"
  bool operator==(const ComputeType& other) const { return name == other.name; }
  bool operator!=(const ComputeType& other) const { return name != other.name; }
};

// The plugin name: "local", "aks", ...
const char* ComputeTypeName(const ComputeType& type);

// `containerResourceRequirements`: what each replica container reserves.
struct ContainerResourceRequirements {
  // CPU cores reserved per replica; > 0, fractions allowed. Default 0.1.
  double cpu = 0.1;
  // Memory reserved per replica in GB; > 0. Default 0.5.
  double memory_in_gb = 0.5;
  // `gpu`, or Azure ML's `gpuCores` (not both): GPUs per replica; integer
  // >= 0. Default 0.
  int32_t gpu = 0;
  // CPU cores a replica may burst to; >= cpu. Default: unset (no limit).
  std::optional<double> cpu_limit;
  // Memory in GB a replica may burst to; >= memoryInGB. Default: unset.
  std::optional<double> memory_in_gb_limit;
};

// `autoScaler`: replica autoscaling on container utilisation.
struct AutoScaler {
  // Default true, unless `numReplicas` is given (then false; giving both
  // `autoscaleEnabled: true` and `numReplicas` is an error).
  bool autoscale_enabled = true;
  // Fewest replicas; >= 1 and <= maxReplicas. Default 1.
  int32_t min_replicas = 1;
  // Most replicas; >= 1. Default 10.
  int32_t max_replicas = 10;
  // Seconds between scaling decisions; >= 1. Default 1.
  int32_t refresh_period_in_seconds = 1;
  // Target utilisation in percent, 1-100. Default 70.
  int32_t target_utilization = 70;
};

// `keys`: the service's authentication keys. Unset keys are generated at
// deployment time. A key given here must be at least 32 characters.
struct AuthKeys {
  std::optional<std::string> primary_key;    // Default: unset (generated).
  std::optional<std::string> secondary_key;  // Default: unset (generated).
};

// `livenessProbeRequirements`: when a replica counts as dead and is restarted.
struct LivenessProbeRequirements {
  int32_t period_seconds = 10;          // >= 1. Default 10.
  int32_t initial_delay_seconds = 310;  // >= 1. Default 310.
  int32_t timeout_seconds = 2;          // >= 1. Default 2.
  int32_t success_threshold = 1;        // >= 1. Default 1.
  int32_t failure_threshold = 3;        // >= 1. Default 3.
};

// `dataCollection`.
struct DataCollection {
  // Store model inputs/outputs of scored requests. Default false.
  bool storage_enabled = false;
};

// `routingKey` (skiff extension, endpoints): sticky A/B assignment by the
// request header `header` ({"header": "x-user-id"}) or the cookie `cookie`
// ({"cookie": "uid"}), not both: a client that sends the key gets the same
// version on every request (docs/rollout.md). Default: unset (drawn).
struct RoutingKey {
  std::string header;
  std::string cookie;
  bool set() const { return !header.empty() || !cookie.empty(); }
};

// True when `name` can name a header or a cookie: an HTTP token (RFC 9110,
// letters, digits and !#$%&'*+-.^_`|~), 1-256 characters.
bool IsRoutingKeyName(std::string_view name);

// `cors` (skiff extension): which web pages may call the service from a
// browser (docs/deployment-config.md#cors).
struct Cors {
  // Origins allowed to read responses, each exactly as a browser sends its
  // Origin header (`https://app.example.com`, `http://localhost:3000`: scheme,
  // host, a port only if not the default, no path or trailing '/'), or "*"
  // for any page. Default empty: no CORS headers, preflights get 403.
  std::vector<std::string> allowed_origins;
};

// A validated deploymentconfig.json. Build one with ParseDeploymentConfig*;
// a hand-built value can be checked with ValidateDeploymentConfig.
struct DeploymentConfig {
  // `computeType`: "local" or "aks". Default "local".
  ComputeType compute_type;  // default "local"
  ContainerResourceRequirements container_resource_requirements;
  AutoScaler auto_scaler;
  // `authEnabled`: require a key (Authorization: Bearer <key>). Default true,
  // or false when `tokenAuthEnabled` is true (as in Azure ML).
  bool auth_enabled = true;
  // `tokenAuthEnabled`: require a short-lived token instead of a key;
  // exclusive with authEnabled. Default false.
  bool token_auth_enabled = false;
  // `appInsightsEnabled`: send request telemetry. Default false.
  bool app_insights_enabled = false;
  // `scoringTimeoutMs`: per-request scoring timeout, 1-300000. Default 60000.
  int32_t scoring_timeout_ms = 60000;
  // `maxConcurrentRequestsPerContainer`: >= 1. Default 1.
  int32_t max_concurrent_requests_per_container = 1;
  // `maxQueueWaitMs`: how long a request may wait for a replica before a 503;
  // >= 1. Default 500.
  int32_t max_queue_wait_ms = 500;
  // `numReplicas`: fixed replica count (>= 1); disables autoscaling.
  // Default: unset (autoscaling).
  std::optional<int32_t> num_replicas;
  AuthKeys keys;
  LivenessProbeRequirements liveness_probe_requirements;
  // `namespace`: Kubernetes namespace, a DNS-1123 label (<= 63 characters of
  // [a-z0-9-], starting and ending alphanumeric). Default: unset.
  std::optional<std::string> kubernetes_namespace;
  DataCollection data_collection;
  // `tags`, `properties`: free-form string -> string metadata. Default empty.
  std::map<std::string, std::string> tags;
  std::map<std::string, std::string> properties;
  // `description`: free text. Default "".
  std::string description;
  // `port` (skiff extension): the local target's listening port, 1-65535;
  // only for computeType "local". Default: unset (the CLI picks one).
  std::optional<int32_t> port;
  // `maxRequestBodyBytes` (skiff extension): larger requests get 413; >= 1.
  // Default 104857600 (100 MiB).
  int64_t max_request_body_bytes = 104857600;
  RoutingKey routing_key;
  Cors cors;
  // `grpc` (skiff extension): {"enabled": true} also serves the KServe v2
  // gRPC API (inference.GRPCInferenceService) on a second port, with the
  // same auth, routing and limits (docs/protocols.md "gRPC"). Default false.
  bool grpc_enabled = false;
  // `shadowQueueSize` (skiff extension, endpoints): copies of live requests
  // to shadow versions that may be out (sent, not yet answered) at once per
  // server (the router on Kubernetes); past it a copy is dropped and counted
  // (docs/rollout.md#shadow-traffic). 1-100000. Default 64.
  int32_t shadow_queue_size = 64;
  // `logFormat`, `logLevel` (skiff extensions): the service's own log lines
  // (skiff-server's and skiff-supervisor's, docs/logging.md): "text"
  // (default) or "json"; "debug", "info" (default), "warning" or "error".
  // Endpoint-wide on an endpoint: the router and every version log alike,
  // so one reader (`service get-logs`, a cluster's collector) parses them all.
  log::Format log_format = log::Format::kText;
  log::Level log_level = log::Level::kInfo;
};

// Parses and validates a deploymentconfig.json document. Errors are
// kInvalidArgument and name the JSON path (`$.autoScaler.minReplicas`), the
// problem and the fix; malformed JSON is reported with line and column.
StatusOr<DeploymentConfig> ParseDeploymentConfig(std::string_view json_text);

// As ParseDeploymentConfig, reading `path`. Every error names the file; a
// missing file is kNotFound.
StatusOr<DeploymentConfig> ParseDeploymentConfigFile(const std::string& path);

// The full config with every default filled in (unset optional fields are
// omitted). Parse(ToJson(c).dump()) gives back `c`. Note: includes `keys`.
nlohmann::json ToJson(const DeploymentConfig& config);

// Applies the rules of ParseDeploymentConfig to a config built in code.
Status ValidateDeploymentConfig(const DeploymentConfig& config);

// `service update -dc`: applies `json_text` (a partial deploymentconfig.json,
// with JSON merge-patch semantics, RFC 7386) to `current` and re-validates the
// result. Keys given override, nested objects merge key by key, `null` resets
// a key to its default. Giving `numReplicas` without `autoScaler.autoscaleEnabled`
// turns autoscaling off; giving `autoscaleEnabled: true` without `numReplicas`
// drops the fixed count. `computeType` cannot change. `current` is never
// modified: the caller gets either the whole new config or an error.
StatusOr<DeploymentConfig> ApplyDeploymentUpdate(const DeploymentConfig& current,
                                                 std::string_view json_text);

}  // namespace skiff::config
