#include "skiff/dataplane/server_config.h"

#include <fstream>
#include <sstream>

#include "skiff/dataplane/upstream_model.h"

namespace skiff::dataplane {
namespace {

using nlohmann::json;

Status Expect(const json& j, const char* key, json::value_t type, const std::string& path,
              bool required) {
  if (!j.contains(key)) {
    return required ? InvalidArgument("server config: `" + path + "." + key + "` is required")
                    : OkStatus();
  }
  const json& v = j.at(key);
  bool ok = v.type() == type ||
            (type == json::value_t::number_integer && v.is_number_unsigned());
  if (!ok) {
    return InvalidArgument("server config: `" + path + "." + key + "` has the wrong type (" +
                           std::string(v.type_name()) + ")");
  }
  return OkStatus();
}

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

AuthMode ServerConfig::auth_mode() const {
  if (deployment.token_auth_enabled) return AuthMode::kToken;
  if (deployment.auth_enabled) return AuthMode::kKey;
  return AuthMode::kNone;
}

uint64_t ServerConfig::body_budget() const {
  return max_body_bytes_in_flight > 0 ? max_body_bytes_in_flight
                                      : 2 * static_cast<uint64_t>(deployment.max_request_body_bytes);
}

std::string ServerConfig::ContentKey(const ServerVersionConfig& version) {
  return version.sha256 + "|" + version.artifact_path + "|" + version.upstream + "|" +
         config::ToJson(version.inference).dump();
}

StatusOr<ServerConfig> ParseServerConfig(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("server config is not a JSON object");
  }
  using T = json::value_t;
  SKIFF_RETURN_IF_ERROR(Expect(j, "service", T::string, "$", true));
  SKIFF_RETURN_IF_ERROR(Expect(j, "address", T::string, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "port", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "ioThreads", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "portFile", T::string, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "statusFile", T::string, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "auth", T::object, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "deploymentConfig", T::object, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "versions", T::array, "$", true));
  SKIFF_RETURN_IF_ERROR(Expect(j, "requestLog", T::string, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "dataCollectionDir", T::string, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "drainGraceMs", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "generation", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "routingSeed", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "upstreamProbeMs", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "maxConnections", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "idleTimeoutMs", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "headerTimeoutMs", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "bodyTimeoutMs", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "maxBodyBytesInFlight", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "requestLogMaxBytes", T::number_integer, "$", false));
  SKIFF_RETURN_IF_ERROR(Expect(j, "requestLogKeep", T::number_integer, "$", false));

  ServerConfig c;
  c.service = j["service"].get<std::string>();
  if (c.service.empty()) return InvalidArgument("server config: `$.service` must not be empty");
  c.address = j.value("address", c.address);
  c.port = j.value("port", c.port);
  c.generation = j.value("generation", int64_t{0});
  c.routing_seed = j.value("routingSeed", uint64_t{0});
  if (c.port < 0 || c.port > 65535) {
    return InvalidArgument("server config: `$.port` must be 0-65535");
  }
  c.io_threads = j.value("ioThreads", c.io_threads);
  if (c.io_threads < 1) return InvalidArgument("server config: `$.ioThreads` must be >= 1");
  c.port_file = j.value("portFile", "");
  c.status_file = j.value("statusFile", "");
  c.request_log = j.value("requestLog", "");
  c.data_collection_dir = j.value("dataCollectionDir", "");
  c.drain_grace = std::chrono::milliseconds(j.value("drainGraceMs", 30000));
  const int64_t probe_ms = j.value("upstreamProbeMs", int64_t{1000});
  if (probe_ms < 50 || probe_ms > 60000) {
    return InvalidArgument("server config: `$.upstreamProbeMs` must be 50-60000 (milliseconds "
                           "between readiness probes of upstream versions; default 1000)");
  }
  c.upstream_probe_interval = std::chrono::milliseconds(probe_ms);
  c.max_connections = j.value("maxConnections", int64_t{0});
  if (c.max_connections < 0) {
    return InvalidArgument("server config: `$.maxConnections` must be >= 0 (0 = derived from "
                           "the open-file limit, ulimit -n)");
  }
  struct Timeout {
    const char* key;
    std::chrono::milliseconds* field;
  };
  for (const Timeout& t : {Timeout{"idleTimeoutMs", &c.idle_timeout},
                           Timeout{"headerTimeoutMs", &c.header_timeout},
                           Timeout{"bodyTimeoutMs", &c.body_timeout}}) {
    const int64_t ms = j.value(t.key, static_cast<int64_t>(t.field->count()));
    if (ms < 100 || ms > 3600000) {
      return InvalidArgument(std::string("server config: `$.") + t.key +
                             "` must be 100-3600000 (milliseconds)");
    }
    *t.field = std::chrono::milliseconds(ms);
  }
  const int64_t log_max = j.value("requestLogMaxBytes", static_cast<int64_t>(c.request_log_max_bytes));
  if (log_max < 0) {
    return InvalidArgument("server config: `$.requestLogMaxBytes` must be >= 0 (0 = never "
                           "rotate; default 67108864)");
  }
  c.request_log_max_bytes = static_cast<uint64_t>(log_max);
  c.request_log_keep = j.value("requestLogKeep", c.request_log_keep);
  if (c.request_log_keep < 1 || c.request_log_keep > 100) {
    return InvalidArgument("server config: `$.requestLogKeep` must be 1-100 (rotated request "
                           "log files kept; default 5)");
  }

  auto deployment = config::ParseDeploymentConfig(
      j.value("deploymentConfig", json::object()).dump());
  if (!deployment.ok()) return deployment.status().WithContext("server config deploymentConfig");
  c.deployment = std::move(deployment).value();
  const int64_t budget = j.value("maxBodyBytesInFlight", int64_t{0});
  if (budget < 0) {
    return InvalidArgument("server config: `$.maxBodyBytesInFlight` must be >= 0 (0 = twice "
                           "deploymentConfig.maxRequestBodyBytes)");
  }
  c.max_body_bytes_in_flight = static_cast<uint64_t>(budget);
  if (c.max_body_bytes_in_flight > 0 &&
      c.max_body_bytes_in_flight < static_cast<uint64_t>(c.deployment.max_request_body_bytes)) {
    return InvalidArgument(
        "server config: `$.maxBodyBytesInFlight` (" + std::to_string(c.max_body_bytes_in_flight) +
        ") is below `deploymentConfig.maxRequestBodyBytes` (" +
        std::to_string(c.deployment.max_request_body_bytes) +
        "): the largest request allowed could never be read; raise it or leave it out (default "
        "twice maxRequestBodyBytes)");
  }

  if (j.contains("auth")) {
    const json& a = j["auth"];
    SKIFF_RETURN_IF_ERROR(Expect(a, "plugin", T::string, "$.auth", false));
    SKIFF_RETURN_IF_ERROR(Expect(a, "options", T::object, "$.auth", false));
    SKIFF_RETURN_IF_ERROR(Expect(a, "keySha256", T::array, "$.auth", false));
    c.auth_plugin = a.value("plugin", c.auth_plugin);
    if (a.contains("options")) c.auth_options = a["options"];
    if (a.contains("keySha256")) {
      for (const json& d : a["keySha256"]) {
        if (!d.is_string()) return InvalidArgument("server config: `$.auth.keySha256` holds strings");
        c.key_sha256.push_back(d.get<std::string>());
      }
    }
  }
  if (c.auth_mode() == AuthMode::kKey && c.key_sha256.empty()) {
    return InvalidArgument("server config: key auth is on but `$.auth.keySha256` is empty");
  }

  int index = 0;
  for (const json& v : j["versions"]) {
    const std::string path = "$.versions[" + std::to_string(index++) + "]";
    if (!v.is_object()) return InvalidArgument("server config: `" + path + "` must be an object");
    SKIFF_RETURN_IF_ERROR(Expect(v, "name", T::string, path, true));
    SKIFF_RETURN_IF_ERROR(Expect(v, "upstream", T::string, path, false));
    SKIFF_RETURN_IF_ERROR(Expect(v, "artifactPath", T::string, path, !v.contains("upstream")));
    if (v.contains("upstream") && v.contains("artifactPath")) {
      return InvalidArgument("server config: `" + path +
                             "` has both `artifactPath` and `upstream`; a version is served "
                             "here or by its upstream, not both");
    }
    SKIFF_RETURN_IF_ERROR(Expect(v, "sha256", T::string, path, false));
    SKIFF_RETURN_IF_ERROR(Expect(v, "trafficPercentile", T::number_integer, path, false));
    SKIFF_RETURN_IF_ERROR(Expect(v, "isDefault", T::boolean, path, false));
    SKIFF_RETURN_IF_ERROR(Expect(v, "isControl", T::boolean, path, false));
    SKIFF_RETURN_IF_ERROR(Expect(v, "inferenceConfig", T::object, path, true));
    ServerVersionConfig version;
    version.spec.name = v["name"].get<std::string>();
    version.spec.traffic_percentile = v.value("trafficPercentile", 0);
    version.spec.is_default = v.value("isDefault", false);
    version.spec.type = v.value("isControl", false) ? VersionType::kControl : VersionType::kTreatment;
    version.artifact_path = v.value("artifactPath", "");
    version.upstream = v.value("upstream", "");
    if (!version.upstream.empty()) {
      SKIFF_RETURN_IF_ERROR(ValidateUpstreamUrl(version.upstream).WithContext("server config `" + path + ".upstream`"));
    }
    version.sha256 = v.value("sha256", "");
    if (!version.sha256.empty() && !IsSha256Hex(version.sha256)) {
      return InvalidArgument("server config: `" + path +
                             ".sha256` must be 64 lowercase hex digits (the artifact's SHA-256, "
                             "checked before every load); omit it to load unchecked");
    }
    auto inference = config::ParseInferenceConfig(v["inferenceConfig"].dump());
    if (!inference.ok()) return inference.status().WithContext("server config " + path);
    version.inference = std::move(inference).value();
    c.versions.push_back(std::move(version));
  }
  // One version alone is the default whatever it says.
  if (c.versions.size() == 1) c.versions[0].spec.is_default = true;
  std::vector<VersionSpec> specs;
  for (const auto& v : c.versions) specs.push_back(v.spec);
  SKIFF_RETURN_IF_ERROR(TrafficSplitPolicy().Validate(specs).WithContext("server config"));
  return c;
}

StatusOr<ServerConfig> ReadServerConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("server config file '" + path + "' cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseServerConfig(text.str());
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

}  // namespace skiff::dataplane
