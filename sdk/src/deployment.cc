#include "deployment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "skiff/config/deployment_config.h"
#include "skiff/util/atomic_file.h"
#include "skiff/config/inference_config.h"
#include "skiff/sdk/plugins.h"
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

Status WriteKeys(const Workspace& ws, const std::string& service, const std::string& primary,
                 const std::string& secondary) {
  // keys/ is trusted only when it is the user's own (a co-tenant's could
  // hold a planted key): created 0700, refused otherwise, never chmod'ed.
  SKIFF_RETURN_IF_ERROR(EnsurePrivateDirectory(ws.dir() + "/keys"));
  const std::string path = KeysPath(ws, service);
  const std::string text = json{{"primaryKey", primary}, {"secondaryKey", secondary}}.dump();
  return WriteFileAtomically(path, text, 0600).WithContext("the keys file of '" + service + "'");
}

StatusOr<std::pair<std::string, std::string>> ReadKeys(const Workspace& ws,
                                                       const std::string& service) {
  // The digests of these keys open the service: the directory and the file
  // must be the user's own, and a symlink is not followed.
  const Status dir_ok = CheckPrivatePath(ws.dir() + "/keys");
  if (!dir_ok.ok() && dir_ok.code() != StatusCode::kNotFound) return dir_ok;
  auto fd = OpenPrivateFile(KeysPath(ws, service), O_RDONLY);
  if (fd.status().code() == StatusCode::kNotFound) {
    return NotFound("service '" + service + "' has no keys (key auth is off?)");
  }
  if (!fd.ok()) return fd.status().WithContext("the keys file of '" + service + "'");
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(*fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || text.size() > (1 << 20)) break;  // a keys file is ~150 bytes
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(*fd);
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("primaryKey") || !j.contains("secondaryKey")) {
    return DataLoss("the keys file of '" + service + "' is damaged; regenerate both keys");
  }
  return std::make_pair(j["primaryKey"].get<std::string>(), j["secondaryKey"].get<std::string>());
}

Status RemoveKeys(const Workspace& ws, const std::string& service) {
  std::error_code ec;
  fs::remove(KeysPath(ws, service), ec);
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

std::string AuthOptionsJson(const Workspace& ws) {
  return json{{"workspace", WorkspaceName(ws)}, {"keysDir", ws.dir() + "/signing-keys"}}.dump();
}

StatusOr<std::shared_ptr<Authenticator>> ControlAuthenticator(const Workspace& ws) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Authenticator>> by_dir;
  std::lock_guard<std::mutex> lock(mu);
  auto it = by_dir.find(ws.dir());
  if (it != by_dir.end()) return it->second;
  SKIFF_ASSIGN_OR_RETURN(auto auth,
                         SharedPlugins().Create<Authenticator>("default", AuthOptionsJson(ws)));
  by_dir[ws.dir()] = auth;
  return auth;
}

Status ValidateServiceName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 32 && name.front() >= 'a' && name.front() <= 'z' &&
            name.back() != '-';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return InvalidArgument("service name '" + name +
                           "' is invalid: use 3-32 lowercase letters, digits or '-', starting "
                           "with a letter and ending with a letter or digit");
  }
  return OkStatus();
}

StatusOr<ServiceSpec> BuildServiceSpec(const Workspace& ws, const std::string& service,
                                       const std::string& deployment_config_json,
                                       const std::vector<VersionInput>& versions,
                                       int64_t generation,
                                       const std::optional<std::vector<std::string>>& key_digests) {
  SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                         config::ParseDeploymentConfig(deployment_config_json));
  ServiceSpec spec;
  spec.name = service;
  spec.workspace_dir = ws.dir();
  spec.deployment_config_json = config::ToJson(dc).dump();
  json server = {{"service", service},
                 {"generation", generation},
                 {"deploymentConfig", config::ToJson(dc)},
                 {"versions", json::array()}};
  json auth = {{"plugin", "default"}, {"options", json::parse(AuthOptionsJson(ws))}};
  if (dc.auth_enabled && !dc.token_auth_enabled && key_digests) {
    auth["keySha256"] = *key_digests;
  } else if (dc.auth_enabled && !dc.token_auth_enabled) {
    SKIFF_ASSIGN_OR_RETURN(auto keys, ReadKeys(ws, service));
    auth["keySha256"] = {Sha256Hex(keys.first), Sha256Hex(keys.second)};
  }
  for (const VersionInput& v : versions) {
    SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                           config::ParseInferenceConfig(v.inference_config_json));
    auth["plugin"] = ic.auth;
    SKIFF_ASSIGN_OR_RETURN(store::ModelRecord model,
                           ws.store().GetModel(v.model.name, v.model.version));
    // A tampered artifact is caught here, before anything runs it.
    SKIFF_RETURN_IF_ERROR(ws.store().VerifyArtifact(model).WithContext("model " + model.id()));
    SKIFF_ASSIGN_OR_RETURN(std::string path, ws.store().ResolveArtifactPath(model));
    server["versions"].push_back({{"name", v.spec.name},
                                  {"trafficPercentile", v.spec.traffic_percentile},
                                  {"isDefault", v.spec.is_default},
                                  {"isControl", v.spec.type == VersionType::kControl},
                                  {"artifactPath", path},
                                  {"sha256", model.sha256},
                                  {"inferenceConfig", config::ToJson(ic)}});
    spec.models.push_back({model.name, model.version, path, model.sha256});
    if (spec.inference_config_json.empty()) spec.inference_config_json = config::ToJson(ic).dump();
  }
  server["auth"] = auth;
  spec.server_config_json = server.dump();
  return spec;
}

}  // namespace skiff::sdk::internal
