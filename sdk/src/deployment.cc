// SPDX-License-Identifier: Apache-2.0
#include "deployment.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "skiff/config/deployment_config.h"
#include "skiff/config/inference_config.h"
#include "skiff/config/server_config.h"
#include "skiff/sdk/plugins.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"
#include "skiff/util/private_path.h"
#include "skiff/util/sha256.h"

namespace skiff::sdk::internal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string KeysPath(const Workspace& ws, const std::string& service) {
  return ws.dir() + "/keys/" + service + ".json";
}

}  // namespace

StatusOr<StagedFile> StageKeys(const Workspace& ws, const std::string& service,
                               const std::string& primary, const std::string& secondary) {
  // keys/ is trusted only when it is the user's own (a co-tenant's could
  // hold a planted key): created 0700, refused otherwise, never chmod'ed.
  SKIFF_RETURN_IF_ERROR(EnsurePrivateDirectory(ws.dir() + "/keys"));
  const std::string text = json{{"primaryKey", primary}, {"secondaryKey", secondary}}.dump();
  auto staged = StagedFile::Stage(KeysPath(ws, service), text, 0600);
  if (!staged.ok()) return staged.status().WithContext("the keys file of '" + service + "'");
  return staged;
}

Status WriteKeys(const Workspace& ws, const std::string& service, const std::string& primary,
                 const std::string& secondary) {
  SKIFF_ASSIGN_OR_RETURN(StagedFile staged, StageKeys(ws, service, primary, secondary));
  return staged.Commit().WithContext("the keys file of '" + service + "'");
}

StatusOr<std::pair<std::string, std::string>> ReadKeys(const Workspace& ws,
                                                       const std::string& service) {
  // The digests of these keys open the service: the directory and the file
  // must be the user's own, and a symlink is not followed.
  const Status dir_ok = CheckPrivatePath(ws.dir() + "/keys");
  if (!dir_ok.ok() && dir_ok.code() != StatusCode::kNotFound) return dir_ok;
  // A keys file is ~150 bytes; the kit's 1 MiB bound refuses anything else.
  PrivateReadOptions read;
  read.owner_only = false;
  auto text = ReadPrivateFile(KeysPath(ws, service), read);
  if (text.status().code() == StatusCode::kNotFound) {
    return NotFound("service '" + service + "' has no keys (key auth is off?)");
  }
  if (!text.ok()) return text.status().WithContext("the keys file of '" + service + "'");
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains("primaryKey") || !j.contains("secondaryKey")) {
    return DataLoss("the keys file of '" + service + "' is damaged; regenerate both keys");
  }
  return std::make_pair(j["primaryKey"].get<std::string>(), j["secondaryKey"].get<std::string>());
}

namespace {

std::string SaltPath(const Workspace& ws, const std::string& service) {
  return ws.dir() + "/keys/" + service + ".routing-salt";
}

}  // namespace

StatusOr<std::string> ReadRoutingSalt(const Workspace& ws, const std::string& service) {
  const Status dir_ok = CheckPrivatePath(ws.dir() + "/keys");
  if (!dir_ok.ok() && dir_ok.code() != StatusCode::kNotFound) return dir_ok;
  auto text = ReadPrivateFile(SaltPath(ws, service));
  if (!text.ok()) return text.status().WithContext("the routing salt of '" + service + "'");
  std::string salt = *text;
  while (!salt.empty() && (salt.back() == '\n' || salt.back() == '\r')) salt.pop_back();
  if (salt.size() < 32) {
    return DataLoss("the routing salt of '" + service + "' (" + SaltPath(ws, service) +
                    ") is damaged; delete it to start a new one (every key is assigned "
                    "afresh)");
  }
  return salt;
}

void RemoveRoutingSalt(const Workspace& ws, const std::string& service) {
  std::error_code ec;
  fs::remove(SaltPath(ws, service), ec);
}

StatusOr<std::string> EnsureRoutingSalt(const Workspace& ws, const std::string& service) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(service));
  auto existing = ReadRoutingSalt(ws, service);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
  SKIFF_RETURN_IF_ERROR(EnsurePrivateDirectory(ws.dir() + "/keys"));
  unsigned char bytes[32];
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    return Internal("cannot draw a routing salt: getrandom failed: " +
                    std::string(std::strerror(errno)));
  }
  static const char kHex[] = "0123456789abcdef";
  std::string salt;
  for (unsigned char b : bytes) {
    salt.push_back(kHex[b >> 4]);
    salt.push_back(kHex[b & 0xf]);
  }
  SKIFF_RETURN_IF_ERROR(WriteFileAtomically(SaltPath(ws, service), salt + "\n", 0600)
                            .WithContext("the routing salt of '" + service + "'"));
  return salt;
}

Status RemoveKeys(const Workspace& ws, const std::string& service) {
  std::error_code ec;
  fs::remove(KeysPath(ws, service), ec);
  fs::remove(SaltPath(ws, service), ec);
  return OkStatus();
}

// The token issuer: the workspace folder's name as [A-Za-z0-9_-]{1,64}
// (".skiff" -> "skiff"), which the auth plugin requires.
std::string WorkspaceName(const Workspace& ws) {
  std::string base = fs::absolute(ws.dir()).lexically_normal().filename().string();
  std::string name;
  for (char c : base) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (ok) name += c;
    else if (!name.empty() && c != '.') name += '-';
  }
  if (name.empty()) name = "workspace";
  return name.substr(0, 64);
}

std::string AuthOptionsJson(const Workspace& ws, const std::string& keys_dir) {
  return json{{"workspace", WorkspaceName(ws)}, {"keysDir", keys_dir}}.dump();
}

namespace {

std::string ServiceKeysRoot(const Workspace& ws, const std::string& service) {
  return ws.dir() + "/signing-keys/" + service;
}

Status MakePrivateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal("cannot create '" + dir + "': " + std::strerror(errno));
  }
  return OkStatus();
}

// A set name never used before in this workspace: the time in microseconds
// and the pid, so two CLIs starting a set at once do not collide.
std::string NewSetName() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "set-" + std::to_string(us) + "-" + std::to_string(::getpid());
}

bool IsSetName(const std::string& name) {
  if (name.rfind("set-", 0) != 0 || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == 's' || c == 'e' || c == 't')) return false;
  }
  return true;
}

// Creates a new, empty set directory under the service's root.
StatusOr<std::pair<std::string, std::string>> NewSetDir(const Workspace& ws,
                                                        const std::string& service) {
  SKIFF_RETURN_IF_ERROR(MakePrivateDir(ws.dir() + "/signing-keys"));
  SKIFF_RETURN_IF_ERROR(MakePrivateDir(ServiceKeysRoot(ws, service)));
  const std::string name = NewSetName();
  const std::string dir = ServiceKeysRoot(ws, service) + "/" + name;
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return Internal("cannot create '" + dir + "': " + std::strerror(errno));
  }
  return std::make_pair(name, dir);
}

StatusOr<std::shared_ptr<Authenticator>> CreateAuthenticator(const Workspace& ws,
                                                             const std::string& keys_dir) {
  return SharedPlugins().Create<Authenticator>("default", AuthOptionsJson(ws, keys_dir));
}

}  // namespace

std::string CurrentSigningKeys(const Workspace& ws, const std::string& service) {
  std::ifstream in(ServiceKeysRoot(ws, service) + "/current");
  std::string name;
  if (!in || !std::getline(in, name) || !IsSetName(name)) return "";
  const std::string dir = ServiceKeysRoot(ws, service) + "/" + name;
  return fs::is_directory(dir) ? dir : "";
}

StatusOr<std::string> EnsureSigningKeys(const Workspace& ws, const std::string& service) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(service));
  std::string dir = CurrentSigningKeys(ws, service);
  if (!dir.empty()) return dir;
  SKIFF_ASSIGN_OR_RETURN(auto set, NewSetDir(ws, service));
  // Opening the plugin's key store on an empty directory creates the first key.
  auto auth = CreateAuthenticator(ws, set.second);
  if (!auth.ok()) {
    std::error_code ec;
    fs::remove_all(set.second, ec);
    return auth.status().WithContext("the signing keys of '" + service + "'");
  }
  SKIFF_RETURN_IF_ERROR(
      WriteFileAtomically(ServiceKeysRoot(ws, service) + "/current", set.first + "\n", 0600));
  return set.second;
}

Status RemoveSigningKeys(const Workspace& ws, const std::string& service) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(service));
  std::error_code ec;
  fs::remove_all(ServiceKeysRoot(ws, service), ec);
  if (ec) {
    return Internal("cannot remove the signing keys of '" + service + "' (" +
                    ServiceKeysRoot(ws, service) + "): " + ec.message());
  }
  return OkStatus();
}

StatusOr<SigningKeyRotation> SigningKeyRotation::Stage(const Workspace& ws,
                                                       const std::string& service,
                                                       int64_t grace_seconds) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(service));
  if (grace_seconds < 0) {
    return InvalidArgument("--grace-period must be 0 or more seconds, got " +
                           std::to_string(grace_seconds));
  }
  const std::string previous = CurrentSigningKeys(ws, service);
  SKIFF_ASSIGN_OR_RETURN(auto set, NewSetDir(ws, service));
  // Removes the new set on every early return below.
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{set.second};
  if (!previous.empty()) {
    // The key files are copied as they are (0600); the plugin reads them.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(previous, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      SKIFF_ASSIGN_OR_RETURN(std::string bytes, ReadFile(entry.path().string()));
      SKIFF_RETURN_IF_ERROR(
          WriteFileAtomically(set.second + "/" + entry.path().filename().string(), bytes, 0600));
    }
    if (ec) return Internal("cannot list " + previous + ": " + ec.message());
  }
  SKIFF_ASSIGN_OR_RETURN(auto auth, CreateAuthenticator(ws, set.second));
  // A service without a set gets a fresh one: nothing to retire.
  if (!previous.empty()) {
    SKIFF_RETURN_IF_ERROR(auth->RotateSigningKey(grace_seconds).status());
  }
  SKIFF_ASSIGN_OR_RETURN(
      StagedFile pointer,
      StagedFile::Stage(ServiceKeysRoot(ws, service) + "/current", set.first + "\n", 0600));
  cleanup.dir.clear();
  return SigningKeyRotation(set.second, previous, std::move(pointer));
}

SigningKeyRotation::~SigningKeyRotation() {
  if (done_ || dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Status SigningKeyRotation::Commit() {
  SKIFF_RETURN_IF_ERROR(pointer_.Commit());
  done_ = true;
  // The previous set is unused now; a leftover would only waste space.
  if (!previous_.empty()) {
    std::error_code ec;
    fs::remove_all(previous_, ec);
  }
  return OkStatus();
}

StatusOr<std::shared_ptr<Authenticator>> ControlAuthenticator(const std::string& keys_dir,
                                                              const Workspace& ws) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Authenticator>> by_dir;
  std::lock_guard<std::mutex> lock(mu);
  auto it = by_dir.find(keys_dir);
  if (it != by_dir.end()) return it->second;
  SKIFF_ASSIGN_OR_RETURN(auto auth, CreateAuthenticator(ws, keys_dir));
  by_dir[keys_dir] = auth;
  return auth;
}

StatusOr<std::shared_ptr<Authenticator>> ControlAuthenticator(const Workspace& ws,
                                                              const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(std::string dir, EnsureSigningKeys(ws, service));
  return ControlAuthenticator(dir, ws);
}

Status ValidateGivenKey(const std::string& key, const std::string& field) {
  constexpr size_t kMinChars = 32, kMaxBytes = 8192;
  if (key.size() < kMinChars || key.size() > kMaxBytes) {
    return InvalidArgument(field + " must be " + std::to_string(kMinChars) + " to " +
                           std::to_string(kMaxBytes) + " characters, got " +
                           std::to_string(key.size()));
  }
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7F) {
      return InvalidArgument(field +
                             " holds whitespace, a control or a non-ASCII character; a "
                             "key is printable ASCII without spaces");
    }
  }
  return OkStatus();
}

net::HttpClient SdkHttpClient(std::chrono::milliseconds timeout) {
  net::HttpClientOptions options;
  options.user_agent = "skiff-sdk";
  options.allow_plain_http_to_any_host = true;
  // https scoring URIs: the system store, plus a private CA when set.
  if (const char* ca = std::getenv("SKIFF_CA_FILE"); ca != nullptr) options.extra_ca_file = ca;
  options.timeout = timeout;
  return net::HttpClient(std::move(options));
}

Status CheckVersionDeployment(const config::DeploymentConfig& endpoint,
                              const config::DeploymentConfig& version, const std::string& flag) {
  const std::pair<const char*, bool> fields[] = {
      {"computeType", endpoint.compute_type != version.compute_type},
      {"authEnabled", endpoint.auth_enabled != version.auth_enabled},
      {"tokenAuthEnabled", endpoint.token_auth_enabled != version.token_auth_enabled},
      {"keys", version.keys.primary_key.has_value() || version.keys.secondary_key.has_value()},
      {"namespace", endpoint.kubernetes_namespace != version.kubernetes_namespace},
      {"port", endpoint.port != version.port},
      {"maxRequestBodyBytes", endpoint.max_request_body_bytes != version.max_request_body_bytes},
      {"appInsightsEnabled", endpoint.app_insights_enabled != version.app_insights_enabled},
      {"dataCollection",
       endpoint.data_collection.storage_enabled != version.data_collection.storage_enabled},
      {"routingKey", endpoint.routing_key.header != version.routing_key.header ||
                         endpoint.routing_key.cookie != version.routing_key.cookie},
      {"grpc", endpoint.grpc_enabled != version.grpc_enabled},
      {"logFormat", endpoint.log_format != version.log_format},
      {"logLevel", endpoint.log_level != version.log_level},
  };
  for (const auto& [field, differs] : fields) {
    if (!differs) continue;
    return InvalidArgument(flag + ": `" + field +
                           "` is the endpoint's setting, not a version's (one router serves "
                           "every version); leave it out, or change it with `skiff endpoint "
                           "update` / `--dc` of `endpoint create`");
  }
  return OkStatus();
}

config::DeploymentConfig VersionDeployment(const config::DeploymentConfig& endpoint,
                                           config::DeploymentConfig version) {
  version.compute_type = endpoint.compute_type;
  version.auth_enabled = endpoint.auth_enabled;
  version.token_auth_enabled = endpoint.token_auth_enabled;
  version.keys = {};
  version.kubernetes_namespace = endpoint.kubernetes_namespace;
  version.port = endpoint.port;
  version.max_request_body_bytes = endpoint.max_request_body_bytes;
  version.app_insights_enabled = endpoint.app_insights_enabled;
  version.data_collection = endpoint.data_collection;
  version.routing_key = endpoint.routing_key;
  version.grpc_enabled = endpoint.grpc_enabled;
  version.log_format = endpoint.log_format;
  version.log_level = endpoint.log_level;
  return version;
}

StatusOr<ServiceSpec> BuildServiceSpec(const Workspace& ws, const std::string& service,
                                       const std::string& deployment_config_json,
                                       const std::vector<VersionInput>& versions,
                                       int64_t generation,
                                       const std::optional<std::vector<std::string>>& key_digests,
                                       const std::string& signing_keys_dir) {
  SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                         config::ParseDeploymentConfig(deployment_config_json));
  ServiceSpec spec;
  spec.name = service;
  spec.workspace_dir = ws.dir();
  spec.deployment_config_json = config::ToJson(dc).dump();
  config::ServerConfig server;
  server.service = service;
  server.generation = generation;
  server.deployment = dc;
  std::string keys_dir =
      signing_keys_dir.empty() ? CurrentSigningKeys(ws, service) : signing_keys_dir;
  if (keys_dir.empty()) keys_dir = ServiceKeysRoot(ws, service) + "/(created on deploy)";
  server.auth_options = json::parse(AuthOptionsJson(ws, keys_dir));
  if (dc.auth_enabled && !dc.token_auth_enabled && key_digests) {
    server.key_sha256 = *key_digests;
  } else if (dc.auth_enabled && !dc.token_auth_enabled) {
    SKIFF_ASSIGN_OR_RETURN(auto keys, ReadKeys(ws, service));
    server.key_sha256 = {Sha256Hex(keys.first), Sha256Hex(keys.second)};
  }
  // The server's (and the local supervisor's) own log lines.
  server.log_format = dc.log_format;
  server.log_level = dc.log_level;
  // gRPC on a second port (`grpc.enabled`); the target picks the port.
  if (dc.grpc_enabled) server.grpc.emplace();
  if (dc.routing_key.set()) {
    // The router assigns by the key; the salt makes its digest.
    server.routing.key_header = dc.routing_key.header;
    server.routing.key_cookie = dc.routing_key.cookie;
    auto salt = ReadRoutingSalt(ws, service);
    if (!salt.ok() && salt.status().code() != StatusCode::kNotFound) return salt.status();
    server.routing.salt = salt.ok() ? *salt : kRoutingSaltPlaceholder;
  }
  for (size_t i = 0; i < versions.size(); ++i) {
    const VersionInput& v = versions[i];
    SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                           config::ParseInferenceConfig(v.inference_config_json));
    // One server, one authenticator: versions that name different auth
    // plugins cannot share an endpoint (the last one used to win silently).
    if (i == 0) {
      server.auth_plugin = ic.auth;
    } else if (ic.auth != server.auth_plugin) {
      return InvalidArgument("version '" + v.spec.name + "' names auth plugin '" + ic.auth +
                             "' but version '" + versions[0].spec.name + "' names '" +
                             server.auth_plugin +
                             "'; an endpoint has one authenticator: give every version's "
                             "inference config the same `auth`");
    }
    SKIFF_ASSIGN_OR_RETURN(store::ModelRecord model,
                           ws.store().GetModel(v.model.name, v.model.version));
    // A tampered artifact is caught here, before anything runs it.
    SKIFF_RETURN_IF_ERROR(ws.store().VerifyArtifact(model).WithContext("model " + model.id()));
    SKIFF_ASSIGN_OR_RETURN(std::string path, ws.store().ResolveArtifactPath(model));
    config::ServerVersionConfig version;
    version.spec = v.spec;
    version.artifact_path = path;
    version.sha256 = model.sha256;
    version.model_name = model.name;
    version.model_version = model.version;
    version.inference = ic;
    version.shadow_percentile = v.shadow_percentile;
    if (!v.deployment_config_json.empty() && v.deployment_config_json != "{}") {
      SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig own,
                             config::ParseDeploymentConfig(v.deployment_config_json));
      version.deployment = VersionDeployment(dc, std::move(own));
    }
    server.versions.push_back(std::move(version));
  }
  spec.server_config_json = config::ToJson(server).dump();
  return spec;
}

}  // namespace skiff::sdk::internal
