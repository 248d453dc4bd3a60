// SPDX-License-Identifier: Apache-2.0
#include "skiff/config/server_config.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "config_file.h"
#include "json_path.h"
#include "skiff/config/json_reader.h"
#include "skiff/rollout/traffic_split_policy.h"
#include "skiff/signature_check.h"

namespace skiff::config {
namespace {

using nlohmann::json;

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

[[noreturn]] void FailRequired(const ObjectReader& r, std::string_view key) {
  Fail("`" + r.PathOf(key) + "` is required");
}

std::string RequireString(ObjectReader& r, std::string_view key) {
  auto value = r.String(key);
  if (!value) FailRequired(r, key);
  return *value;
}

// Milliseconds in [min, max]; the message keeps the unit and the range.
std::chrono::milliseconds Millis(ObjectReader& r, std::string_view key, int64_t min, int64_t max,
                                 std::chrono::milliseconds fallback, const std::string& why) {
  auto ms = r.Int(key, std::numeric_limits<int64_t>::min());
  if (!ms) return fallback;
  if (*ms < min || *ms > max) {
    Fail("`" + r.PathOf(key) + "` must be " + std::to_string(min) + "-" + std::to_string(max) +
         why);
  }
  return std::chrono::milliseconds(*ms);
}

// A signed integer that must be >= 0; `why` says what 0 means.
int64_t NonNegative(ObjectReader& r, std::string_view key, int64_t fallback,
                    const std::string& why) {
  auto value = r.Int(key, std::numeric_limits<int64_t>::min());
  if (!value) return fallback;
  if (*value < 0) Fail("`" + r.PathOf(key) + "` must be >= 0 " + why);
  return *value;
}

void ReadAuth(ObjectReader& a, ServerConfig& c) {
  if (auto plugin = a.String("plugin")) c.auth_plugin = *plugin;
  if (const json* options = a.Get("options")) {
    if (!options->is_object()) {
      Fail("`" + a.PathOf("options") + "` must be an object, got " +
           internal::JsonTypeName(*options));
    }
    c.auth_options = *options;  // the plugin reads its own options
  }
  if (const json* digests = a.Get("keySha256")) {
    const std::string path = a.PathOf("keySha256");
    if (!digests->is_array()) {
      Fail("`" + path + "` must be an array, got " + internal::JsonTypeName(*digests));
    }
    for (size_t i = 0; i < digests->size(); ++i) {
      c.key_sha256.push_back(ReadString((*digests)[i], internal::IndexPath(path, i)));
    }
  }
  a.RejectUnknownKeys();
}

void ReadRouting(ObjectReader& r, RoutingConfig& c) {
  c.key_header = r.String("keyHeader").value_or("");
  c.key_cookie = r.String("keyCookie").value_or("");
  c.salt = r.String("salt").value_or("");
  c.exposure_log = r.String("exposureLog").value_or("");
  c.exposure_log_max_bytes = static_cast<uint64_t>(
      NonNegative(r, "exposureLogMaxBytes", static_cast<int64_t>(c.exposure_log_max_bytes),
                  "(0 = never rotate; default 67108864)"));
  if (auto keep = r.Int("exposureLogKeep", std::numeric_limits<int64_t>::min())) {
    if (*keep < 1 || *keep > 100) {
      Fail("`" + r.PathOf("exposureLogKeep") +
           "` must be 1-100 (rotated exposure log files kept; default 5)");
    }
    c.exposure_log_keep = static_cast<int>(*keep);
  }
  r.RejectUnknownKeys();
  if (!c.key_header.empty() && !c.key_cookie.empty()) {
    Fail("`" + r.PathOf("keyHeader") + "` and `" + r.PathOf("keyCookie") +
         "` are both set; a routing key is a header or a cookie, keep one");
  }
  for (const char* key : {"keyHeader", "keyCookie"}) {
    const std::string& name = std::string_view(key) == "keyHeader" ? c.key_header : c.key_cookie;
    if (r.Get(key) != nullptr && !IsRoutingKeyName(name)) {
      Fail("`" + r.PathOf(key) + "` must be a header or cookie name (letters, digits and " +
           "!#$%&'*+-.^_`|~, 1-256 characters), e.g. x-user-id");
    }
  }
  // The salt's value is never echoed: only its length.
  if (c.sticky() && c.salt.size() < 16) {
    Fail("`" + r.PathOf("salt") + "` must be at least 16 characters with a routing key (got " +
         std::to_string(c.salt.size()) + "); the SDK generates it per endpoint");
  }
}

ServerTlsConfig ReadTls(ObjectReader& t) {
  ServerTlsConfig tls;
  tls.cert_file = RequireString(t, "certFile");
  tls.key_file = RequireString(t, "keyFile");
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    Fail("`" + t.PathOf(tls.cert_file.empty() ? "certFile" : "keyFile") +
         "` must name a PEM file; leave `tls` out to serve plain http");
  }
  tls.handshake_timeout =
      Millis(t, "handshakeTimeoutMs", 100, 600000, tls.handshake_timeout,
             " (milliseconds from accept to a finished TLS handshake; default 10000)");
  tls.reload_check = Millis(t, "reloadCheckMs", 100, 3600000, tls.reload_check,
                            " (milliseconds between checks of the certificate files; "
                            "default 2000)");
  if (auto most = t.Int("maxHandshakes", std::numeric_limits<int64_t>::min())) {
    if (*most < 1 || *most > 1000000) {
      Fail("`" + t.PathOf("maxHandshakes") +
           "` must be 1-1000000 (unfinished TLS handshakes at once; default 1024)");
    }
    tls.max_handshakes = *most;
  }
  t.RejectUnknownKeys();
  return tls;
}

ServerGrpcConfig ReadGrpc(ObjectReader& g) {
  ServerGrpcConfig grpc;
  if (auto port = g.Int("port", std::numeric_limits<int64_t>::min())) {
    if (*port < 0 || *port > 65535) {
      Fail("`" + g.PathOf("port") + "` must be 0-65535 (0 = any free port)");
    }
    grpc.port = static_cast<int>(*port);
  }
  grpc.port_file = g.String("portFile").value_or("");
  grpc.max_message_bytes = NonNegative(g, "maxMessageBytes", 0,
                                       "(0 = deploymentConfig.maxRequestBodyBytes)");
  if (grpc.max_message_bytes > kIntMax) {
    Fail("`" + g.PathOf("maxMessageBytes") + "` must be at most " + std::to_string(kIntMax) +
         " (gRPC's limit)");
  }
  for (auto [key, field] : {std::pair<const char*, int64_t*>{"maxConcurrentStreams",
                                                             &grpc.max_concurrent_streams},
                            {"maxCallsInFlight", &grpc.max_calls_in_flight}}) {
    if (auto n = g.Int(key, std::numeric_limits<int64_t>::min())) {
      if (*n < 1 || *n > 1000000) {
        Fail("`" + g.PathOf(key) + "` must be 1-1000000 (default " + std::to_string(*field) +
             ")");
      }
      *field = *n;
    }
  }
  g.RejectUnknownKeys();
  return grpc;
}

ServerVersionConfig ReadVersion(const json& value, const std::string& path) {
  ObjectReader v(value, path);
  ServerVersionConfig version;
  version.spec.name = RequireString(v, "name");
  if (auto upstream = v.String("upstream")) version.upstream = *upstream;
  if (auto artifact = v.String("artifactPath")) {
    if (v.Get("upstream") != nullptr) {
      Fail("`" + path +
           "` has both `artifactPath` and `upstream`; a version is served here or by its "
           "upstream, not both");
    }
    version.artifact_path = *artifact;
  } else if (v.Get("upstream") == nullptr) {
    FailRequired(v, "artifactPath");
  }
  if (!version.upstream.empty()) {
    if (auto url = ParseUpstreamUrl(version.upstream); !url.ok()) {
      Fail("`" + v.PathOf("upstream") + "`: " + url.status().message());
    }
  }
  if (auto model = v.Object("model")) {
    version.model_name = RequireString(*model, "name");
    auto registered = model->Int("version", 1);
    if (!registered) FailRequired(*model, "version");
    version.model_version = *registered;
    model->RejectUnknownKeys();
  }
  if (auto sha = v.String("sha256")) version.sha256 = *sha;
  if (!version.sha256.empty() && !IsSha256Hex(version.sha256)) {
    Fail("`" + v.PathOf("sha256") +
         "` must be 64 lowercase hex digits (the artifact's SHA-256, checked before every "
         "load); omit it to load unchecked");
  }
  version.spec.traffic_percentile = static_cast<int32_t>(
      v.Int("trafficPercentile", std::numeric_limits<int32_t>::min(), kIntMax).value_or(0));
  version.spec.is_default = v.Bool("isDefault").value_or(false);
  if (auto shadow = v.Int("shadowPercentile", std::numeric_limits<int64_t>::min())) {
    if (*shadow < 0 || *shadow > 100) {
      Fail("`" + v.PathOf("shadowPercentile") +
           "` must be 0-100 (the share of live requests copied to this version; 0 = off)");
    }
    version.shadow_percentile = static_cast<int>(*shadow);
  }
  version.spec.type =
      v.Bool("isControl").value_or(false) ? VersionType::kControl : VersionType::kTreatment;
  const json* inference = v.Get("inferenceConfig");
  if (inference == nullptr) FailRequired(v, "inferenceConfig");
  if (!inference->is_object()) {
    Fail("`" + v.PathOf("inferenceConfig") + "` must be an object, got " +
         internal::JsonTypeName(*inference));
  }
  if (const json* deployment = v.Get("deploymentConfig")) {
    if (!deployment->is_object()) {
      Fail("`" + v.PathOf("deploymentConfig") + "` must be an object, got " +
           internal::JsonTypeName(*deployment));
    }
    auto dc = ParseDeploymentConfig(deployment->dump());
    if (!dc.ok()) Fail(dc.status().WithContext(v.PathOf("deploymentConfig")).message());
    version.deployment = std::move(dc).value();
  }
  v.RejectUnknownKeys();
  auto parsed = ParseInferenceConfig(inference->dump());
  if (!parsed.ok()) Fail(parsed.status().WithContext(path).message());
  version.inference = std::move(parsed).value();
  return version;
}

// A shadow version answers copies of live requests, decoded against the
// live version's signature: it is not the default, takes no drawn traffic
// of its own, and has the default's signature.
void CheckShadows(const ServerConfig& c) {
  const ServerVersionConfig* def = nullptr;
  for (const auto& v : c.versions) {
    if (v.spec.is_default) def = &v;
  }
  for (size_t i = 0; i < c.versions.size(); ++i) {
    const ServerVersionConfig& v = c.versions[i];
    if (v.shadow_percentile == 0) continue;
    const std::string path = internal::IndexPath("$.versions", i) + ".shadowPercentile";
    if (v.spec.is_default) {
      Fail("`" + path + "`: the default version '" + v.spec.name +
           "' answers the live traffic and cannot also be its shadow; make another version "
           "the default first");
    }
    if (v.spec.traffic_percentile != 0) {
      Fail("`" + path + "` and `trafficPercentile` (" +
           std::to_string(v.spec.traffic_percentile) + ") are both set on version '" +
           v.spec.name + "'; a shadow version takes no drawn traffic: set one of them to 0");
    }
    if (def != nullptr) {
      Status same = CompareSignatures(ToSignature(def->inference), "the default '" + def->spec.name + "'",
                                      ToSignature(v.inference), "version '" + v.spec.name + "'");
      if (!same.ok()) {
        Fail("`" + path + "`: " + same.message() +
             "; a shadow version gets the live requests' inputs, so it takes the default's "
             "signature");
      }
    }
  }
}

ServerConfig FromJson(const json& document) {
  ObjectReader r(document, internal::kRootPath);
  ServerConfig c;
  c.service = RequireString(r, "service");
  if (c.service.empty()) Fail("`$.service` must not be empty");
  if (auto address = r.String("address")) c.address = *address;
  if (auto port = r.Int("port", std::numeric_limits<int64_t>::min())) {
    if (*port < 0 || *port > 65535) Fail("`$.port` must be 0-65535");
    c.port = static_cast<int>(*port);
  }
  c.generation = r.Int("generation", std::numeric_limits<int64_t>::min()).value_or(0);
  if (const json* seed = r.Get("routingSeed")) {
    // The whole uint64 range: a seed is bits, not a quantity.
    c.routing_seed = seed->is_number_unsigned()
                         ? seed->get<uint64_t>()
                         : static_cast<uint64_t>(ReadInt(*seed, r.PathOf("routingSeed")));
  }
  c.scale_workers = r.Bool("scaleWorkers").value_or(false);
  c.local_score_route = r.Bool("localScoreRoute").value_or(false);
  if (auto threads = r.Int("ioThreads", std::numeric_limits<int64_t>::min())) {
    if (*threads < 1 || *threads > kIntMax) Fail("`$.ioThreads` must be >= 1");
    c.io_threads = static_cast<int>(*threads);
  }
  if (auto mode = r.String("inlineScoring")) {
    if (*mode == "auto") {
      c.inline_scoring = ServerConfig::InlineScoring::kAuto;
    } else if (*mode == "on") {
      c.inline_scoring = ServerConfig::InlineScoring::kOn;
    } else if (*mode == "off") {
      c.inline_scoring = ServerConfig::InlineScoring::kOff;
    } else {
      Fail("`$.inlineScoring` must be \"auto\", \"on\" or \"off\" (got \"" + *mode + "\")");
    }
  }
  c.port_file = r.String("portFile").value_or("");
  if (auto address = r.String("metricsAddress")) c.metrics_address = *address;
  if (auto port = r.Int("metricsPort", std::numeric_limits<int64_t>::min())) {
    if (*port < 0 || *port > 65535) Fail("`$.metricsPort` must be 0-65535 (0 = a free port)");
    c.metrics_port = static_cast<int>(*port);
  }
  c.metrics_port_file = r.String("metricsPortFile").value_or("");
  c.status_file = r.String("statusFile").value_or("");
  c.request_log = r.String("requestLog").value_or("");
  c.data_collection_dir = r.String("dataCollectionDir").value_or("");
  c.drain_grace = std::chrono::milliseconds(
      r.Int("drainGraceMs", std::numeric_limits<int64_t>::min()).value_or(30000));
  c.upstream_probe_interval =
      Millis(r, "upstreamProbeMs", 50, 60000, c.upstream_probe_interval,
             " (milliseconds between readiness probes of upstream versions; default 1000)");
  c.max_connections =
      NonNegative(r, "maxConnections", 0, "(0 = derived from the open-file limit, ulimit -n)");
  c.idle_timeout = Millis(r, "idleTimeoutMs", 100, 3600000, c.idle_timeout, " (milliseconds)");
  c.header_timeout =
      Millis(r, "headerTimeoutMs", 100, 3600000, c.header_timeout, " (milliseconds)");
  c.body_timeout = Millis(r, "bodyTimeoutMs", 100, 3600000, c.body_timeout, " (milliseconds)");
  c.request_log_max_bytes = static_cast<uint64_t>(
      NonNegative(r, "requestLogMaxBytes", static_cast<int64_t>(c.request_log_max_bytes),
                  "(0 = never rotate; default 67108864)"));
  if (auto keep = r.Int("requestLogKeep", std::numeric_limits<int64_t>::min())) {
    if (*keep < 1 || *keep > 100) {
      Fail("`$.requestLogKeep` must be 1-100 (rotated request log files kept; default 5)");
    }
    c.request_log_keep = static_cast<int>(*keep);
  }

  if (auto format = r.String("logFormat")) {
    auto parsed = log::ParseFormat(*format);
    if (!parsed) Fail("`$.logFormat` must be \"text\" or \"json\", not \"" + *format + "\"");
    c.log_format = *parsed;
  }
  if (auto level = r.String("logLevel")) {
    auto parsed = log::ParseLevel(*level);
    if (!parsed) {
      Fail("`$.logLevel` must be \"debug\", \"info\", \"warning\" or \"error\", not \"" +
           *level + "\"");
    }
    c.log_level = *parsed;
  }
  c.access_log = r.String("accessLog").value_or("");
  c.access_log_max_bytes = static_cast<uint64_t>(
      NonNegative(r, "accessLogMaxBytes", static_cast<int64_t>(c.access_log_max_bytes),
                  "(0 = never rotate; default 67108864)"));
  if (auto keep = r.Int("accessLogKeep", std::numeric_limits<int64_t>::min())) {
    if (*keep < 1 || *keep > 100) {
      Fail("`$.accessLogKeep` must be 1-100 (rotated access log files kept; default 5)");
    }
    c.access_log_keep = static_cast<int>(*keep);
  }

  {
    // Absent = every default, exactly as an empty deploymentconfig.json.
    const json* deployment = r.Get("deploymentConfig");
    if (deployment != nullptr && !deployment->is_object()) {
      Fail("`$.deploymentConfig` must be an object, got " + internal::JsonTypeName(*deployment));
    }
    auto parsed = ParseDeploymentConfig(deployment ? deployment->dump() : "{}");
    if (!parsed.ok()) Fail(parsed.status().WithContext("deploymentConfig").message());
    c.deployment = std::move(parsed).value();
  }
  c.max_body_bytes_in_flight = static_cast<uint64_t>(NonNegative(
      r, "maxBodyBytesInFlight", 0, "(0 = twice deploymentConfig.maxRequestBodyBytes)"));
  if (c.max_body_bytes_in_flight > 0 &&
      c.max_body_bytes_in_flight < static_cast<uint64_t>(c.deployment.max_request_body_bytes)) {
    Fail("`$.maxBodyBytesInFlight` (" + std::to_string(c.max_body_bytes_in_flight) +
         ") is below `deploymentConfig.maxRequestBodyBytes` (" +
         std::to_string(c.deployment.max_request_body_bytes) +
         "): the largest request allowed could never be read; raise it or leave it out (default "
         "twice maxRequestBodyBytes)");
  }

  if (auto routing = r.Object("routing")) ReadRouting(*routing, c.routing);
  if (auto auth = r.Object("auth")) ReadAuth(*auth, c);
  if (auto tls = r.Object("tls")) c.tls = ReadTls(*tls);
  if (auto grpc = r.Object("grpc")) c.grpc = ReadGrpc(*grpc);
  if (c.auth_mode() == AuthMode::kKey && c.key_sha256.empty()) {
    Fail("key auth is on but `$.auth.keySha256` is empty");
  }

  const json* versions = r.Get("versions");
  if (versions == nullptr) FailRequired(r, "versions");
  if (!versions->is_array()) {
    Fail("`$.versions` must be an array, got " + internal::JsonTypeName(*versions));
  }
  for (size_t i = 0; i < versions->size(); ++i) {
    const std::string path = internal::IndexPath("$.versions", i);
    if (!(*versions)[i].is_object()) Fail("`" + path + "` must be an object");
    c.versions.push_back(ReadVersion((*versions)[i], path));
  }
  r.RejectUnknownKeys();
  // One version alone is the default whatever it says.
  if (c.versions.size() == 1) c.versions[0].spec.is_default = true;
  CheckShadows(c);
  return c;
}

}  // namespace

AuthMode ServerConfig::auth_mode() const {
  if (deployment.token_auth_enabled) return AuthMode::kToken;
  if (deployment.auth_enabled) return AuthMode::kKey;
  return AuthMode::kNone;
}

int64_t ServerConfig::grpc_max_message_bytes() const {
  if (!grpc) return 0;
  return grpc->max_message_bytes > 0 ? grpc->max_message_bytes
                                     : std::min<int64_t>(deployment.max_request_body_bytes, kIntMax);
}

uint64_t ServerConfig::body_budget() const {
  return max_body_bytes_in_flight > 0
             ? max_body_bytes_in_flight
             : 2 * static_cast<uint64_t>(deployment.max_request_body_bytes);
}

std::string ServerConfig::ContentKey(const ServerVersionConfig& version) {
  // A version's own deployment config sizes its pool: a change rebuilds it.
  // Its tags, properties and description do not: a new tag reloads nothing.
  std::string own;
  if (version.deployment) {
    DeploymentConfig sizing = *version.deployment;
    sizing.tags.clear();
    sizing.properties.clear();
    sizing.description.clear();
    own = ToJson(sizing).dump();
  }
  return version.sha256 + "|" + version.artifact_path + "|" + version.upstream + "|" +
         ToJson(version.inference).dump() + "|" + own;
}

StatusOr<Url> ParseUpstreamUrl(const std::string& url) {
  auto parsed = ParseUrl(url);
  // ParseUrl gives a bare origin the path "/"; an upstream names its route.
  const size_t authority = url.find("://");
  const bool has_path =
      authority != std::string::npos && url.find('/', authority + 3) != std::string::npos;
  if (!parsed.ok() || parsed->https() || !has_path) {
    return InvalidArgument("upstream '" + url +
                           "' must be http://HOST[:PORT]/PATH, e.g. "
                           "http://svc-blue.ns.svc.cluster.local:5001/v2/models/svc/infer");
  }
  return parsed;
}

StatusOr<ServerConfig> ParseServerConfig(std::string_view text) {
  SKIFF_ASSIGN_OR_RETURN(
      ServerConfig c, ReadConfig("server config", [&] { return FromJson(ParseJsonText(text)); }));
  std::vector<VersionSpec> specs;
  for (const auto& v : c.versions) specs.push_back(v.spec);
  SKIFF_RETURN_IF_ERROR(TrafficSplitPolicy().Validate(specs).WithContext("server config"));
  return c;
}

StatusOr<ServerConfig> ReadServerConfigFile(const std::string& path) {
  auto text = internal::ReadConfigFile(path);
  if (!text.ok()) return text.status().WithContext("server config");
  auto config = ParseServerConfig(*text);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

json ToJson(const ServerConfig& c) {
  json auth = {{"plugin", c.auth_plugin}, {"options", c.auth_options}};
  if (!c.key_sha256.empty()) auth["keySha256"] = c.key_sha256;
  json versions = json::array();
  for (const ServerVersionConfig& v : c.versions) {
    json version = {{"name", v.spec.name},
                    {"trafficPercentile", v.spec.traffic_percentile},
                    {"isDefault", v.spec.is_default},
                    {"isControl", v.spec.type == VersionType::kControl},
                    {"inferenceConfig", ToJson(v.inference)}};
    // Exactly one of the two: ParseServerConfig refuses both.
    if (!v.upstream.empty()) {
      version["upstream"] = v.upstream;
    } else {
      version["artifactPath"] = v.artifact_path;
    }
    if (!v.sha256.empty()) version["sha256"] = v.sha256;
    if (!v.model_name.empty()) {
      version["model"] = {{"name", v.model_name}, {"version", v.model_version}};
    }
    if (v.deployment) version["deploymentConfig"] = ToJson(*v.deployment);
    if (v.shadow_percentile != 0) version["shadowPercentile"] = v.shadow_percentile;
    versions.push_back(std::move(version));
  }
  json j = {{"service", c.service},
            {"generation", c.generation},
            {"address", c.address},
            {"port", c.port},
            {"metricsAddress", c.metrics_address},
            {"metricsPort", c.metrics_port},
            {"ioThreads", c.io_threads},
            {"inlineScoring", c.inline_scoring == ServerConfig::InlineScoring::kOn    ? "on"
                              : c.inline_scoring == ServerConfig::InlineScoring::kOff ? "off"
                                                                                      : "auto"},
            {"auth", std::move(auth)},
            {"deploymentConfig", ToJson(c.deployment)},
            {"versions", std::move(versions)},
            {"requestLogMaxBytes", c.request_log_max_bytes},
            {"requestLogKeep", c.request_log_keep},
            {"drainGraceMs", c.drain_grace.count()},
            {"routingSeed", c.routing_seed},
            {"scaleWorkers", c.scale_workers},
            {"localScoreRoute", c.local_score_route},
            {"upstreamProbeMs", c.upstream_probe_interval.count()},
            {"maxConnections", c.max_connections},
            {"idleTimeoutMs", c.idle_timeout.count()},
            {"headerTimeoutMs", c.header_timeout.count()},
            {"bodyTimeoutMs", c.body_timeout.count()},
            {"maxBodyBytesInFlight", c.max_body_bytes_in_flight}};
  // Left out when it says nothing (a server without auth, e.g. a
  // Kubernetes version pod that only its router reaches).
  if (c.auth_plugin == ServerConfig().auth_plugin && c.auth_options.empty() &&
      c.key_sha256.empty()) {
    j.erase("auth");
  }
  if (!c.port_file.empty()) j["portFile"] = c.port_file;
  if (!c.metrics_port_file.empty()) j["metricsPortFile"] = c.metrics_port_file;
  if (!c.status_file.empty()) j["statusFile"] = c.status_file;
  if (!c.request_log.empty()) j["requestLog"] = c.request_log;
  if (!c.data_collection_dir.empty()) j["dataCollectionDir"] = c.data_collection_dir;
  if (c.log_format != log::Format::kText) j["logFormat"] = log::FormatName(c.log_format);
  if (c.log_level != log::Level::kInfo) j["logLevel"] = log::LevelName(c.log_level);
  if (!c.access_log.empty()) {
    j["accessLog"] = c.access_log;
    j["accessLogMaxBytes"] = c.access_log_max_bytes;
    j["accessLogKeep"] = c.access_log_keep;
  }
  const RoutingConfig& routing = c.routing;
  const RoutingConfig defaults;
  if (routing.sticky() || !routing.exposure_log.empty() ||
      routing.exposure_log_max_bytes != defaults.exposure_log_max_bytes ||
      routing.exposure_log_keep != defaults.exposure_log_keep) {
    json out = {{"exposureLogMaxBytes", routing.exposure_log_max_bytes},
                {"exposureLogKeep", routing.exposure_log_keep}};
    if (!routing.key_header.empty()) out["keyHeader"] = routing.key_header;
    if (!routing.key_cookie.empty()) out["keyCookie"] = routing.key_cookie;
    if (!routing.salt.empty()) out["salt"] = routing.salt;
    if (!routing.exposure_log.empty()) out["exposureLog"] = routing.exposure_log;
    j["routing"] = std::move(out);
  }
  if (c.tls) {
    j["tls"] = {{"certFile", c.tls->cert_file},
                {"keyFile", c.tls->key_file},
                {"handshakeTimeoutMs", c.tls->handshake_timeout.count()},
                {"reloadCheckMs", c.tls->reload_check.count()},
                {"maxHandshakes", c.tls->max_handshakes}};
  }
  if (c.grpc) {
    j["grpc"] = {{"port", c.grpc->port},
                 {"maxMessageBytes", c.grpc->max_message_bytes},
                 {"maxConcurrentStreams", c.grpc->max_concurrent_streams},
                 {"maxCallsInFlight", c.grpc->max_calls_in_flight}};
    if (!c.grpc->port_file.empty()) j["grpc"]["portFile"] = c.grpc->port_file;
  }
  return j;
}

}  // namespace skiff::config
