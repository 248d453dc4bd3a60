// SPDX-License-Identifier: Apache-2.0
#include "skiff/config/deployment_config.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "config_file.h"
#include "json_path.h"
#include "skiff/config/json_reader.h"
#include "skiff/util/url.h"

namespace skiff::config {
namespace {

using nlohmann::json;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxScoringTimeoutMs = 300000;
constexpr size_t kMinKeyLength = 32;
constexpr size_t kMaxNamespaceLength = 63;

int32_t Int32(const std::optional<int64_t>& v, int32_t fallback) {
  return v ? static_cast<int32_t>(*v) : fallback;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

void CheckNamespace(const std::string& ns) {
  const char* fix =
      "; use a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a "
      "letter or digit, at most 63 characters (e.g. \"skiff-prod\")";
  if (ns.empty()) Fail(std::string("`$.namespace` must not be empty") + fix);
  if (ns.size() > kMaxNamespaceLength) {
    Fail("`$.namespace` is " + std::to_string(ns.size()) + " characters long" + fix);
  }
  for (char c : ns) {
    if (!IsLowerAlnum(c) && c != '-') {
      Fail("`$.namespace` \"" + ns + "\" contains '" + std::string(1, c) + "'" + fix);
    }
  }
  if (!IsLowerAlnum(ns.front()) || !IsLowerAlnum(ns.back())) {
    Fail("`$.namespace` \"" + ns + "\" must start and end with a letter or digit" + fix);
  }
}

std::optional<std::string> ReadKey(ObjectReader& keys, std::string_view name) {
  auto key = keys.String(name);
  // Never echo the key itself: error messages end up in logs.
  if (key && key->size() < kMinKeyLength) {
    Fail("`" + keys.PathOf(name) + "` must be at least " + std::to_string(kMinKeyLength) +
         " characters, got " + std::to_string(key->size()) +
         "; use a random key (e.g. `openssl rand -hex 32`) or omit it to have one generated");
  }
  return key;
}

std::map<std::string, std::string> ReadStringMap(ObjectReader& parent, std::string_view key) {
  std::map<std::string, std::string> result;
  const json* value = parent.Get(key);
  if (value == nullptr) return result;
  ObjectReader object(*value, parent.PathOf(key));  // Checks that it is an object.
  for (const auto& item : value->items()) {
    result[item.key()] = ReadString(item.value(), object.PathOf(item.key()));
  }
  return result;
}

void ReadResources(ObjectReader& root, ContainerResourceRequirements& r) {
  auto o = root.Object("containerResourceRequirements");
  if (!o) return;
  if (auto v = o->Number("cpu")) r.cpu = RequirePositive(*v, o->PathOf("cpu"));
  if (auto v = o->Number("memoryInGB"))
    r.memory_in_gb = RequirePositive(*v, o->PathOf("memoryInGB"));
  // `gpuCores` is Azure ML's documented spelling (the SDK's gpu_cores); `gpu`
  // is skiff's. Either is read; both at once would leave one silently ignored.
  const std::optional<int64_t> gpu = o->Int("gpu", 0, kInt32Max);
  const std::optional<int64_t> gpu_cores = o->Int("gpuCores", 0, kInt32Max);
  if (gpu && gpu_cores) {
    Fail("`" + o->PathOf("gpu") + "` and `" + o->PathOf("gpuCores") +
         "` are two names for the GPUs per replica; give only one of them");
  }
  r.gpu = Int32(gpu ? gpu : gpu_cores, r.gpu);
  if (auto v = o->Number("cpuLimit")) r.cpu_limit = RequirePositive(*v, o->PathOf("cpuLimit"));
  if (auto v = o->Number("memoryInGBLimit")) {
    r.memory_in_gb_limit = RequirePositive(*v, o->PathOf("memoryInGBLimit"));
  }
  o->RejectUnknownKeys();
  if (r.cpu_limit && *r.cpu_limit < r.cpu) {
    Fail("`$.containerResourceRequirements.cpuLimit` (" + NumberText(*r.cpu_limit) +
         ") must be >= `cpu` (" + NumberText(r.cpu) + "); raise cpuLimit or lower cpu");
  }
  if (r.memory_in_gb_limit && *r.memory_in_gb_limit < r.memory_in_gb) {
    Fail("`$.containerResourceRequirements.memoryInGBLimit` (" + NumberText(*r.memory_in_gb_limit) +
         ") must be >= `memoryInGB` (" + NumberText(r.memory_in_gb) +
         "); raise memoryInGBLimit or lower memoryInGB");
  }
}

// Returns whether autoscaleEnabled was given explicitly.
std::optional<bool> ReadAutoScaler(ObjectReader& root, AutoScaler& a) {
  auto o = root.Object("autoScaler");
  if (!o) return std::nullopt;
  std::optional<bool> enabled = o->Bool("autoscaleEnabled");
  a.min_replicas = Int32(o->Int("minReplicas", 1, kInt32Max), a.min_replicas);
  a.max_replicas = Int32(o->Int("maxReplicas", 1, kInt32Max), a.max_replicas);
  a.refresh_period_in_seconds =
      Int32(o->Int("refreshPeriodInSeconds", 1, kInt32Max), a.refresh_period_in_seconds);
  a.target_utilization = Int32(o->Int("targetUtilization", 1, 100), a.target_utilization);
  o->RejectUnknownKeys();
  if (a.min_replicas > a.max_replicas) {
    Fail("`$.autoScaler.minReplicas` (" + std::to_string(a.min_replicas) +
         ") must be <= `$.autoScaler.maxReplicas` (" + std::to_string(a.max_replicas) +
         "); lower minReplicas or raise maxReplicas");
  }
  return enabled;
}

void ReadProbe(ObjectReader& root, LivenessProbeRequirements& p) {
  auto o = root.Object("livenessProbeRequirements");
  if (!o) return;
  p.period_seconds = Int32(o->Int("periodSeconds", 1, kInt32Max), p.period_seconds);
  p.initial_delay_seconds =
      Int32(o->Int("initialDelaySeconds", 1, kInt32Max), p.initial_delay_seconds);
  p.timeout_seconds = Int32(o->Int("timeoutSeconds", 1, kInt32Max), p.timeout_seconds);
  p.success_threshold = Int32(o->Int("successThreshold", 1, kInt32Max), p.success_threshold);
  p.failure_threshold = Int32(o->Int("failureThreshold", 1, kInt32Max), p.failure_threshold);
  o->RejectUnknownKeys();
}

void ReadCors(ObjectReader& root, Cors& cors) {
  auto o = root.Object("cors");
  if (!o) return;
  if (const json* origins = o->Get("allowedOrigins")) {
    const std::string path = o->PathOf("allowedOrigins");
    if (!origins->is_array()) Fail("`" + path + "` must be an array of origins, e.g. [\"https://app.example.com\"]");
    for (size_t i = 0; i < origins->size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      std::string origin = ReadString((*origins)[i], item_path);
      // The server compares it with the Origin header byte for byte, so it
      // must be written as browsers write that header.
      auto url = ParseUrl(origin);
      if (origin != "*" && (!url.ok() || url->Origin() != origin)) {
        Fail("`" + item_path + "` is \"" + origin +
             "\"; an origin is scheme://host[:port] as a browser sends it (no path, no trailing "
             "'/', no default port), e.g. \"https://app.example.com\", or \"*\" for any page" +
             (url.ok() ? "; did you mean \"" + url->Origin() + "\"?" : ""));
      }
      cors.allowed_origins.push_back(std::move(origin));
    }
  }
  o->RejectUnknownKeys();
}

// `logFormat` and `logLevel`: the words skiff-server's --log-format and
// --log-level take (skiff/util/log.h), so the server reads what was checked.
void ReadLogSettings(ObjectReader& root, DeploymentConfig& c) {
  if (auto v = root.String("logFormat")) {
    auto format = log::ParseFormat(*v);
    if (!format) {
      Fail("`$.logFormat` must be \"text\" or \"json\", got \"" + *v + "\"");
    }
    c.log_format = *format;
  }
  if (auto v = root.String("logLevel")) {
    auto level = log::ParseLevel(*v);
    if (!level) {
      Fail("`$.logLevel` must be \"debug\", \"info\", \"warning\" or \"error\", got \"" + *v +
           "\"");
    }
    c.log_level = *level;
  }
}

// A plugin's name as the plugin host spells libskiff_<kind>_<name>.so.
bool IsPluginName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  for (char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
      return false;
    }
  }
  return true;
}

DeploymentConfig FromJson(const json& document) {
  ObjectReader root(document, internal::kRootPath);
  DeploymentConfig c;

  if (auto v = root.String("computeType")) {
    if (!IsPluginName(*v)) {
      Fail(
          "`$.computeType` must be a compute plugin's name (\"local\", \"aks\" or another "
          "installed libskiff_compute_<name>.so: 1-64 lower-case letters, digits, '-' or '_', "
          "starting with a letter), got \"" +
          *v + "\"");
    }
    c.compute_type = ComputeType{*v};
  }
  ReadResources(root, c.container_resource_requirements);
  const std::optional<bool> autoscale = ReadAutoScaler(root, c.auto_scaler);
  const std::optional<bool> key_auth = root.Bool("authEnabled");
  if (auto v = root.Bool("tokenAuthEnabled")) c.token_auth_enabled = *v;
  // As in Azure ML, authEnabled's default of true applies only while tokens are
  // off: `{"tokenAuthEnabled": true}` alone means token auth. An explicit
  // `authEnabled: true` beside it is still refused below (AKS refuses it too).
  c.auth_enabled = key_auth.value_or(!c.token_auth_enabled);
  if (auto v = root.Bool("appInsightsEnabled")) c.app_insights_enabled = *v;
  c.scoring_timeout_ms =
      Int32(root.Int("scoringTimeoutMs", 1, kMaxScoringTimeoutMs), c.scoring_timeout_ms);
  c.max_concurrent_requests_per_container =
      Int32(root.Int("maxConcurrentRequestsPerContainer", 1, kInt32Max),
            c.max_concurrent_requests_per_container);
  c.max_queue_wait_ms = Int32(root.Int("maxQueueWaitMs", 1, kInt32Max), c.max_queue_wait_ms);
  if (auto v = root.Int("numReplicas", 1, kInt32Max)) c.num_replicas = static_cast<int32_t>(*v);
  if (auto keys = root.Object("keys")) {
    c.keys.primary_key = ReadKey(*keys, "primaryKey");
    c.keys.secondary_key = ReadKey(*keys, "secondaryKey");
    keys->RejectUnknownKeys();
  }
  ReadProbe(root, c.liveness_probe_requirements);
  if (auto v = root.String("namespace")) {
    CheckNamespace(*v);
    c.kubernetes_namespace = *v;
  }
  if (auto o = root.Object("dataCollection")) {
    if (auto v = o->Bool("storageEnabled")) c.data_collection.storage_enabled = *v;
    o->RejectUnknownKeys();
  }
  c.tags = ReadStringMap(root, "tags");
  c.properties = ReadStringMap(root, "properties");
  if (auto v = root.String("description")) c.description = *v;
  if (auto v = root.Int("port", 1, 65535)) c.port = static_cast<int32_t>(*v);
  if (auto v = root.Int("maxRequestBodyBytes", 1)) c.max_request_body_bytes = *v;
  if (auto o = root.Object("routingKey")) {
    for (const char* key : {"header", "cookie"}) {
      auto v = o->String(key);
      if (!v) continue;
      if (!IsRoutingKeyName(*v)) {
        Fail("`" + o->PathOf(key) + "` must be a " + key +
             " name (letters, digits and !#$%&'*+-.^_`|~, 1-256 characters), e.g. " +
             (std::string_view(key) == "header" ? "x-user-id" : "uid"));
      }
      (std::string_view(key) == "header" ? c.routing_key.header : c.routing_key.cookie) = *v;
    }
    o->RejectUnknownKeys();
    if (!c.routing_key.header.empty() && !c.routing_key.cookie.empty()) {
      Fail(
          "`$.routingKey` names both a header and a cookie; a routing key is one of them "
          "(`skiff endpoint update --routing-key-header NAME` or `--routing-key-cookie NAME` "
          "replaces the other)");
    }
  }
  ReadCors(root, c.cors);
  if (auto o = root.Object("grpc")) {
    if (auto v = o->Bool("enabled")) c.grpc_enabled = *v;
    o->RejectUnknownKeys();
  }
  if (auto v = root.Int("shadowQueueSize", 1, 100000)) c.shadow_queue_size = static_cast<int32_t>(*v);
  ReadLogSettings(root, c);
  root.RejectUnknownKeys();

  // Rules across fields.
  if (c.auth_enabled && c.token_auth_enabled) {
    Fail(
        "`$.tokenAuthEnabled` and `$.authEnabled` are both true, but key and token "
        "authentication are exclusive; set `authEnabled` to false (or leave it out) to use "
        "tokens, or `tokenAuthEnabled` to false to use keys");
  }
  if (c.num_replicas) {
    if (autoscale.value_or(false)) {
      Fail(
          "`$.numReplicas` cannot be given while `$.autoScaler.autoscaleEnabled` is true; "
          "remove numReplicas to autoscale, or set autoscaleEnabled to false for a fixed "
          "replica count");
    }
    c.auto_scaler.autoscale_enabled = false;
  } else if (autoscale) {
    c.auto_scaler.autoscale_enabled = *autoscale;
  }
  if (c.port && c.compute_type != ComputeType::kLocal) {
    Fail("`$.port` applies only to computeType \"local\"; remove it for \"" +
         std::string(ComputeTypeName(c.compute_type)) +
         "\" (the service is reached through its scoring URI)");
  }
  return c;
}

StatusOr<DeploymentConfig> ParseDocument(const json& document, const std::string& context) {
  try {
    return FromJson(document);
  } catch (const ConfigError& e) {
    return InvalidArgument(context + ": " + e.what());
  } catch (const json::exception& e) {
    // Should not happen (the readers check types first); still never let an
    // exception escape.
    return InvalidArgument(context + ": " + e.what());
  }
}

StatusOr<DeploymentConfig> ParseText(std::string_view text, const std::string& context) {
  json document;
  try {
    document = ParseJsonText(text);
  } catch (const ConfigError& e) {
    return InvalidArgument(context + ": " + e.what());
  }
  return ParseDocument(document, context);
}

}  // namespace

const ComputeType ComputeType::kLocal{"local"};
const ComputeType ComputeType::kAks{"aks"};

const char* ComputeTypeName(const ComputeType& type) { return type.name.c_str(); }

bool IsRoutingKeyName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (unsigned char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

StatusOr<DeploymentConfig> ParseDeploymentConfig(std::string_view json_text) {
  return ParseText(json_text, "deployment config");
}

StatusOr<DeploymentConfig> ParseDeploymentConfigFile(const std::string& path) {
  auto text = internal::ReadConfigFile(path);
  if (!text.ok()) return text.status().WithContext("deployment config");
  return ParseText(*text, "deployment config '" + path + "'");
}

json ToJson(const DeploymentConfig& c) {
  const auto& r = c.container_resource_requirements;
  json resources = {{"cpu", r.cpu}, {"memoryInGB", r.memory_in_gb}, {"gpu", r.gpu}};
  if (r.cpu_limit) resources["cpuLimit"] = *r.cpu_limit;
  if (r.memory_in_gb_limit) resources["memoryInGBLimit"] = *r.memory_in_gb_limit;

  const auto& a = c.auto_scaler;
  const auto& p = c.liveness_probe_requirements;
  json out = {
      {"computeType", ComputeTypeName(c.compute_type)},
      {"containerResourceRequirements", resources},
      {"autoScaler",
       {{"autoscaleEnabled", a.autoscale_enabled},
        {"minReplicas", a.min_replicas},
        {"maxReplicas", a.max_replicas},
        {"refreshPeriodInSeconds", a.refresh_period_in_seconds},
        {"targetUtilization", a.target_utilization}}},
      {"authEnabled", c.auth_enabled},
      {"tokenAuthEnabled", c.token_auth_enabled},
      {"appInsightsEnabled", c.app_insights_enabled},
      {"scoringTimeoutMs", c.scoring_timeout_ms},
      {"maxConcurrentRequestsPerContainer", c.max_concurrent_requests_per_container},
      {"maxQueueWaitMs", c.max_queue_wait_ms},
      {"livenessProbeRequirements",
       {{"periodSeconds", p.period_seconds},
        {"initialDelaySeconds", p.initial_delay_seconds},
        {"timeoutSeconds", p.timeout_seconds},
        {"successThreshold", p.success_threshold},
        {"failureThreshold", p.failure_threshold}}},
      {"dataCollection", {{"storageEnabled", c.data_collection.storage_enabled}}},
      {"tags", c.tags},
      {"properties", c.properties},
      {"description", c.description},
      {"maxRequestBodyBytes", c.max_request_body_bytes},
  };
  if (c.num_replicas) out["numReplicas"] = *c.num_replicas;
  if (c.keys.primary_key || c.keys.secondary_key) {
    json keys = json::object();
    if (c.keys.primary_key) keys["primaryKey"] = *c.keys.primary_key;
    if (c.keys.secondary_key) keys["secondaryKey"] = *c.keys.secondary_key;
    out["keys"] = keys;
  }
  if (c.kubernetes_namespace) out["namespace"] = *c.kubernetes_namespace;
  if (c.port) out["port"] = *c.port;
  if (c.routing_key.set()) {
    json key = json::object();
    if (!c.routing_key.header.empty()) key["header"] = c.routing_key.header;
    if (!c.routing_key.cookie.empty()) key["cookie"] = c.routing_key.cookie;
    out["routingKey"] = key;
  }
  if (!c.cors.allowed_origins.empty()) out["cors"] = {{"allowedOrigins", c.cors.allowed_origins}};
  if (c.grpc_enabled) out["grpc"] = {{"enabled", true}};
  // Written only when changed, so configs without shadows read as before.
  if (c.shadow_queue_size != DeploymentConfig().shadow_queue_size) {
    out["shadowQueueSize"] = c.shadow_queue_size;
  }
  // Likewise only when not the default (stored configs read as before).
  if (c.log_format != log::Format::kText) out["logFormat"] = log::FormatName(c.log_format);
  if (c.log_level != log::Level::kInfo) out["logLevel"] = log::LevelName(c.log_level);
  return out;
}

Status ValidateDeploymentConfig(const DeploymentConfig& config) {
  return ParseDocument(ToJson(config), "deployment config").status();
}

StatusOr<DeploymentConfig> ApplyDeploymentUpdate(const DeploymentConfig& current,
                                                 std::string_view json_text) {
  const std::string context = "deployment update";
  json patch;
  try {
    patch = ParseJsonText(json_text);
  } catch (const ConfigError& e) {
    return InvalidArgument(context + ": " + e.what());
  }
  if (!patch.is_object()) {
    return InvalidArgument(context + ": `$` must be an object of the keys to change, got " +
                           internal::JsonTypeName(patch));
  }
  if (patch.contains("computeType")) {
    const json& type = patch["computeType"];
    if (!type.is_string() || type.get<std::string>() != ComputeTypeName(current.compute_type)) {
      return InvalidArgument(context + ": `$.computeType` cannot be changed by an update (the " +
                             "service runs on \"" + ComputeTypeName(current.compute_type) +
                             "\"); remove it, or deploy a new service on the other compute type");
    }
  }

  json merged = ToJson(current);
  // numReplicas and autoscaleEnabled are two spellings of one choice: when the
  // update makes the choice with one key, the other follows it.
  const bool gives_replicas = patch.contains("numReplicas") && !patch["numReplicas"].is_null();
  const json* autoscale = nullptr;
  if (patch.contains("autoScaler") && patch["autoScaler"].is_object() &&
      patch["autoScaler"].contains("autoscaleEnabled")) {
    autoscale = &patch["autoScaler"]["autoscaleEnabled"];
  }
  if (gives_replicas && autoscale == nullptr) {
    merged["autoScaler"].erase("autoscaleEnabled");
  }
  if (autoscale != nullptr && *autoscale == true && !patch.contains("numReplicas")) {
    merged.erase("numReplicas");
  }
  if (patch.contains("numReplicas") && patch["numReplicas"].is_null() && autoscale == nullptr) {
    // Dropping the fixed count goes back to the default: autoscaling.
    merged["autoScaler"].erase("autoscaleEnabled");
  }
  // `gpuCores` is another name for `gpu` (stored as `gpu`): an update giving
  // it replaces the stored value rather than clashing with it.
  if (patch.contains("containerResourceRequirements") &&
      patch["containerResourceRequirements"].is_object()) {
    const json& resources = patch["containerResourceRequirements"];
    if (resources.contains("gpuCores") && !resources.contains("gpu")) {
      merged["containerResourceRequirements"].erase("gpu");
    }
  }
  merged.merge_patch(patch);
  return ParseDocument(merged, context);
}

}  // namespace skiff::config
