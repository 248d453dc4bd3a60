// SPDX-License-Identifier: Apache-2.0
// ServerConfig: what one skiff-server process serves, read from a JSON file
// the compute target writes (the local target) or mounts (Kubernetes
// ConfigMap + Secret). Re-read on SIGHUP: versions, traffic and keys change
// without a restart. See docs/server-config.md.
//
// The one owner of the server.json schema: the SDK builds this struct, the
// compute targets read it back (ServiceSpec::server_config_json), set or
// derive fields and write it with ToJson(); skiff-server reads it with
// ParseServerConfig(). Nobody else spells its keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "skiff/authenticator.h"
#include "skiff/config/deployment_config.h"
#include "skiff/config/inference_config.h"
#include "skiff/rollout_policy.h"
#include "skiff/status.h"
#include "skiff/util/log.h"
#include "skiff/util/url.h"

namespace skiff::config {

struct ServerVersionConfig {
  VersionSpec spec;           // name, trafficPercentile, isDefault, isControl
  std::string artifact_path;  // the verified model file or folder
  std::string sha256;         // its content hash (part of the content key); when
                              // set, checked against the artifact before every
                              // load (skiff/util/artifact_digest.h)
  // Instead of an artifact: another skiff-server's OIP v2 infer URL that
  // scores this version (the Kubernetes router; upstream_model.h).
  std::string upstream;
  // The registered model this version serves (`skiff model register`; the
  // SDK fills it from `-m NAME:VERSION`), which GET /v2/models/{m} reports
  // as the OIP model version (docs/protocols.md). JSON: `model`,
  // {"name", "version"}. Empty name / version 0: not known (a hand-written
  // config), and the metadata names the skiff version instead.
  std::string model_name;
  int64_t model_version = 0;
  InferenceConfig inference;
  // `deploymentConfig` of this version alone (an endpoint version created
  // with its own --dc): its replicas, per-container concurrency, timeouts,
  // resources and probes. Unset: the server's `deploymentConfig`. Auth,
  // body limits and the port stay the server's (Effective() keeps them).
  std::optional<DeploymentConfig> deployment;
  // `shadowPercentile`, 0-100: the share of live requests (whichever version
  // answers them) also sent to this version, whose answer is compared and
  // never returned (docs/rollout.md#shadow-traffic; ShadowTraffic). 0 = off.
  // A shadow version is not the default, takes no drawn traffic
  // (trafficPercentile 0) and has the default version's signature.
  int shadow_percentile = 0;

  // The deployment config this version runs with: `deployment` if set,
  // else `server`.
  const DeploymentConfig& Effective(const DeploymentConfig& server) const {
    return deployment ? *deployment : server;
  }
};

// Sticky A/B assignment (docs/rollout.md): requests that carry the routing
// key (a header or a cookie, not both) get the version consistent for that
// key (skiff/rollout/sticky_assignment.h); pinning by path or by the
// azureml-model-deployment header still wins. JSON: `routing`.
struct RoutingConfig {
  std::string key_header;  // `keyHeader`, e.g. "x-user-id"; case-insensitive
  std::string key_cookie;  // `keyCookie`, e.g. "uid"
  // `salt`: the endpoint's secret; the key's digest is HMAC-SHA256(salt,
  // key), so neither the assignment nor the exposure log can be linked to a
  // key without it. Required (>= 16 characters) with a key; never logged.
  std::string salt;
  // `exposureLog`: JSON lines, one per request assigned by its key (time,
  // keyHash, version, status, latencyMs); "" = off. Rotated like the
  // request log: `exposureLogMaxBytes` (0 = never; default 64 MiB) and
  // `exposureLogKeep` files (1-100, default 5).
  std::string exposure_log;
  uint64_t exposure_log_max_bytes = uint64_t{64} * 1024 * 1024;
  int exposure_log_keep = 5;

  bool sticky() const { return !key_header.empty() || !key_cookie.empty(); }
};

// `tls`: the server terminates TLS (docs/server-config.md). Read at start;
// the two files are re-read when they change (no restart); a change of the
// block itself takes a restart.
struct ServerTlsConfig {
  std::string cert_file;  // PEM certificate chain, server certificate first
  std::string key_file;   // PEM private key of cert_file (0600)
  std::chrono::milliseconds handshake_timeout{10000};  // from accept to a finished handshake
  std::chrono::milliseconds reload_check{2000};        // how often the files are checked
  int64_t max_handshakes = 1024;  // unfinished handshakes at once; past it the oldest is closed
};

// `grpc`: a second listener speaking the KServe v2 gRPC API
// (inference.GRPCInferenceService, docs/protocols.md "gRPC") over the same
// data plane: the same auth, routing, limits and metrics. Absent = no gRPC.
// Read at start; a change takes a restart. Speaks TLS when `tls` is set
// (the same certificate, read at start).
struct ServerGrpcConfig {
  int port = 0;           // `port`: 0 = any free port
  std::string port_file;  // `portFile`: the bound port is written here once listening
  // `maxMessageBytes`: largest message either way (RESOURCE_EXHAUSTED past
  // it); 0 = deploymentConfig.maxRequestBodyBytes.
  int64_t max_message_bytes = 0;
  // `maxConcurrentStreams`: calls one HTTP/2 connection may have open.
  int64_t max_concurrent_streams = 100;
  // `maxCallsInFlight`: calls worked on at once, all connections together;
  // one more is UNAVAILABLE.
  int64_t max_calls_in_flight = 1024;
};

struct ServerConfig {
  std::string service;     // service (or endpoint) name; the token audience
  int64_t generation = 0;  // bumped by the control plane on every change;
                           // readiness reports the applied one
  std::string address = "127.0.0.1";
  int port = 0;  // 0 = any free port
  int io_threads = 2;
  // `inlineScoring`: "auto" (default), "on" or "off". On: a quick local
  // model is scored on the I/O thread that read its request (run to
  // completion, scoring_pool.h) instead of being handed to a worker thread
  // and back. Auto: on when the process may use one CPU at most (its CPU
  // affinity, or its cgroup's cpu.max quota rounded up: a local target's
  // default 0.1 core), where the hand-off is pure overhead; off otherwise,
  // where a worker scores while the I/O thread reads the next request.
  // Read at start.
  enum class InlineScoring { kAuto, kOn, kOff };
  InlineScoring inline_scoring = InlineScoring::kAuto;
  std::string port_file;           // if set, the bound port is written here once listening
  // GET /metrics is served on a listener of its own, never on `port`, so the
  // public port (an AKS LoadBalancer) does not show a stranger the service's
  // traffic, versions and failures. Loopback by default; a Kubernetes pod
  // listens on 0.0.0.0 for the cluster's scraper. Read at start.
  std::string metrics_address = "127.0.0.1";
  int metrics_port = 0;            // 0 = any free port
  std::string metrics_port_file;   // if set, the bound metrics port is written here
  // If set, the server keeps here (0600, replaced atomically) the generation
  // it serves and the last one it refused with the reason, so the control
  // plane learns a refused reload at once (server_status.h).
  std::string status_file;
  // Auth: mode from the deployment config's authEnabled/tokenAuthEnabled.
  std::string auth_plugin = "default";
  nlohmann::json auth_options = nlohmann::json::object();  // the plugin's create() options
  std::vector<std::string> key_sha256;                     // accepted key digests in key mode
  DeploymentConfig deployment;
  std::vector<ServerVersionConfig> versions;
  std::string request_log;  // JSONL request log (appInsightsEnabled); "" = off
  // The request log rotates when a line would take it past this size
  // (requests.jsonl -> .1 -> ... -> .<keep>, the oldest deleted). 0 = never.
  uint64_t request_log_max_bytes = uint64_t{64} * 1024 * 1024;
  int request_log_keep = 5;         // rotated files kept, 1-100
  std::string data_collection_dir;  // inputs/outputs JSONL (dataCollection.storageEnabled)
  std::chrono::milliseconds drain_grace{30000};  // SIGTERM: most time to finish requests
  uint64_t routing_seed = 0;  // 0 = random; else reproducible traffic-split draws
  RoutingConfig routing;      // sticky assignment and its exposure log
  // The server itself scales each version's workers by
  // deploymentConfig.autoScaler (skiff/dataplane/autoscaler.h). The local
  // target sets it; on Kubernetes the HorizontalPodAutoscaler scales pods
  // instead, so version pods and the router leave it off.
  bool scale_workers = false;
  // Also answer POST /score, the path of Azure ML's LocalWebservice, so a
  // client written against a local Azure deployment works unchanged (auth
  // as on the service's score route). The local target sets it.
  bool local_score_route = false;
  // Router only: how often each upstream version's GET /v2/health/ready is
  // asked (UpstreamProber); a version that fails gets no drawn traffic.
  std::chrono::milliseconds upstream_probe_interval{1000};
  // Connections and request bodies (HttpServerOptions; read at start, a
  // change takes a restart). maxConnections 0 = derived from RLIMIT_NOFILE
  // (DefaultMaxConnections). maxBodyBytesInFlight 0 = twice
  // deploymentConfig.maxRequestBodyBytes.
  int64_t max_connections = 0;
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  uint64_t max_body_bytes_in_flight = 0;
  // TLS termination; unset = plain http.
  std::optional<ServerTlsConfig> tls;
  // The gRPC listener; unset = none.
  std::optional<ServerGrpcConfig> grpc;
  // The server's own log lines (stderr; skiff/util/log.h): `logFormat`
  // "text" (default) or "json", `logLevel` "debug", "info" (default),
  // "warning" or "error". skiff-server's --log-format/--log-level win.
  // Read at start and on every reload.
  log::Format log_format = log::Format::kText;
  log::Level log_level = log::Level::kInfo;
  // `accessLog`: one JSON line per answered request, whatever its status
  // (access_log.h): "" = off, "stdout" = the process's stdout (Kubernetes,
  // where the cluster's log collector reads it), else a file, rotated like
  // the request log by `accessLogMaxBytes` (0 = never; default 64 MiB) and
  // `accessLogKeep` (1-100, default 5). Read at start.
  std::string access_log;
  uint64_t access_log_max_bytes = uint64_t{64} * 1024 * 1024;
  int access_log_keep = 5;

  AuthMode auth_mode() const;
  // maxBodyBytesInFlight with its default filled in.
  uint64_t body_budget() const;
  // grpc.maxMessageBytes with its default filled in (0 without `grpc`).
  int64_t grpc_max_message_bytes() const;
  // The content key of a version: hash + inference config, so a change of
  // either reloads it.
  static std::string ContentKey(const ServerVersionConfig& version);
};

// Parses and validates; errors name the JSON path. Unknown keys (with the
// closest known one) and duplicate keys are refused, as in every config.
StatusOr<ServerConfig> ParseServerConfig(std::string_view json_text);

// The rule for `versions[].upstream`: http://HOST[:PORT]/PATH, parsed by the
// one URL parser (skiff/util/url.h). kInvalidArgument naming the URL, with an
// example, otherwise. The parser and UpstreamModel both apply it.
StatusOr<Url> ParseUpstreamUrl(const std::string& url);
StatusOr<ServerConfig> ReadServerConfigFile(const std::string& path);

// The config as server.json: every field written, optional strings
// (portFile, metricsPortFile, requestLog, dataCollectionDir, a version's
// sha256) only when set, `auth` and `routing` only when they differ from the
// defaults. ParseServerConfig(ToJson(c).dump()) gives back `c`.
nlohmann::json ToJson(const ServerConfig& config);

}  // namespace skiff::config
