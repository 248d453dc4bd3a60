// SPDX-License-Identifier: Apache-2.0
#include "cluster_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "arm/resource_id.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"
#include "skiff/util/private_path.h"

namespace skiff::compute_aks {
namespace {

namespace fs = std::filesystem;

// <ws>/compute/<name> holds a kubeconfig: created 0700, and refused (never
// chmod'ed or written through) when it is a symlink, another user's or
// group/world-writable (skiff/util/private_path.h).
Status EnsureDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Internal("cannot create " + path + ": " + ec.message());
  return EnsurePrivateDirectory(path);
}

}  // namespace

std::string ClusterDir(const std::string& workspace_dir, const std::string& name) {
  return workspace_dir + "/compute/" + name;
}

Status WriteClusterInfo(const std::string& workspace_dir, const std::string& name,
                        const nlohmann::json& info) {
  const std::string dir = ClusterDir(workspace_dir, name);
  SKIFF_RETURN_IF_ERROR(EnsureDir(dir));
  return WriteFileAtomically(dir + "/cluster.json", info.dump(2) + "\n", 0600);
}

StatusOr<nlohmann::json> ReadClusterInfo(const std::string& workspace_dir,
                                         const std::string& name) {
  const std::string path = ClusterDir(workspace_dir, name) + "/cluster.json";
  auto text = ReadFile(path);
  if (!text.ok()) return NotFound("compute target '" + name + "' has no " + path);
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return DataLoss(path + " is not a JSON object");
  return j;
}

Status WriteKubeconfig(const std::string& workspace_dir, const std::string& name,
                       const std::string& kubeconfig) {
  const std::string dir = ClusterDir(workspace_dir, name);
  SKIFF_RETURN_IF_ERROR(EnsureDir(dir));
  return WriteFileAtomically(dir + "/kubeconfig", kubeconfig, 0600);
}

Status WriteRegistryAuth(const std::string& workspace_dir, const std::string& name,
                         const std::string& dockerconfigjson) {
  const std::string dir = ClusterDir(workspace_dir, name);
  SKIFF_RETURN_IF_ERROR(EnsureDir(dir));
  return WriteFileAtomically(dir + "/registry-auth.json", dockerconfigjson, 0600);
}

StatusOr<std::string> ReadRegistryAuth(const std::string& workspace_dir, const std::string& name) {
  const std::string path = ClusterDir(workspace_dir, name) + "/registry-auth.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + " does not exist");
  return ReadFile(path);
}

Status WriteTlsPair(const std::string& workspace_dir, const std::string& name,
                    const TlsPair& pair) {
  const std::string dir = ClusterDir(workspace_dir, name);
  SKIFF_RETURN_IF_ERROR(EnsureDir(dir));
  SKIFF_RETURN_IF_ERROR(WriteFileAtomically(dir + "/tls.key", pair.key_pem, 0600));
  return WriteFileAtomically(dir + "/tls.crt", pair.cert_pem, 0600);
}

StatusOr<TlsPair> ReadTlsPair(const std::string& workspace_dir, const std::string& name) {
  const std::string dir = ClusterDir(workspace_dir, name);
  std::error_code ec;
  if (!fs::exists(dir + "/tls.crt", ec)) return NotFound(dir + "/tls.crt does not exist");
  TlsPair pair;
  SKIFF_ASSIGN_OR_RETURN(pair.cert_pem, ReadFile(dir + "/tls.crt"));
  SKIFF_ASSIGN_OR_RETURN(pair.key_pem, ReadFile(dir + "/tls.key"));
  return pair;
}

Status RemoveClusterFiles(const std::string& workspace_dir, const std::string& name) {
  std::error_code ec;
  fs::remove_all(ClusterDir(workspace_dir, name), ec);
  if (ec) return Internal("cannot remove " + ClusterDir(workspace_dir, name) + ": " + ec.message());
  return OkStatus();
}

std::optional<std::string> FindTargetLinking(const std::string& workspace_dir,
                                             const std::string& resource_id,
                                             const std::string& except) {
  std::error_code ec;
  for (fs::directory_iterator it(workspace_dir + "/compute", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == except || !it->is_directory()) continue;
    auto info = ReadClusterInfo(workspace_dir, name);
    if (!info.ok()) continue;
    const auto& j = *info;
    if (j.contains("resourceId") && j["resourceId"].is_string() &&
        SameResourceId(j["resourceId"].get<std::string>(), resource_id)) {
      return name;
    }
  }
  return std::nullopt;
}

bool KubeconfigExists(const std::string& workspace_dir, const std::string& name) {
  std::error_code ec;
  return std::filesystem::is_regular_file(ClusterDir(workspace_dir, name) + "/kubeconfig", ec);
}

}  // namespace skiff::compute_aks
