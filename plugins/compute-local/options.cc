#include "options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "file_util.h"

namespace skiff::compute_local {
namespace {

using nlohmann::json;

Status ReadString(const json& j, const char* key, bool required, std::string* out) {
  if (!j.contains(key)) {
    if (!required) return OkStatus();
    return InvalidArgument(
        std::string("compute local options: `") + key + "` is required (the path to " +
        (std::string(key) == "serverBinary" ? "skiff-server" : "skiff-supervisor") +
        ", usually <install>/bin)");
  }
  if (!j[key].is_string()) {
    return InvalidArgument(std::string("compute local options: `") + key + "` must be a string");
  }
  *out = j[key].get<std::string>();
  return OkStatus();
}

Status CheckExecutable(const char* field, const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    return InvalidArgument(std::string("compute local options: `") + field + "` '" + path +
                           "' does not exist");
  }
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return InvalidArgument(std::string("compute local options: `") + field + "` '" + path +
                           "' is not an executable file");
  }
  return OkStatus();
}

}  // namespace

StatusOr<LocalComputeOptions> ParseOptions(const std::string& options_json) {
  json j = json::parse(options_json.empty() ? "{}" : options_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("compute local options are not a JSON object");
  }
  for (const auto& item : j.items()) {
    if (item.key() != "serverBinary" && item.key() != "supervisorBinary" &&
        item.key() != "pluginPath" && item.key() != "workspaceDir") {
      return InvalidArgument(
          "compute local options: unknown key `" + item.key() +
          "` (expected serverBinary, supervisorBinary, pluginPath, workspaceDir)");
    }
  }
  LocalComputeOptions o;
  SKIFF_RETURN_IF_ERROR(ReadString(j, "serverBinary", true, &o.server_binary));
  SKIFF_RETURN_IF_ERROR(ReadString(j, "supervisorBinary", true, &o.supervisor_binary));
  SKIFF_RETURN_IF_ERROR(ReadString(j, "pluginPath", false, &o.plugin_path));
  SKIFF_RETURN_IF_ERROR(ReadString(j, "workspaceDir", false, &o.workspace_dir));
  // The supervisor and its server run from /, so relative paths would not
  // mean there what they meant to the caller.
  o.server_binary = AbsolutePath(o.server_binary);
  o.supervisor_binary = AbsolutePath(o.supervisor_binary);
  o.plugin_path = AbsolutePathList(o.plugin_path);
  o.workspace_dir = AbsolutePath(o.workspace_dir);
  SKIFF_RETURN_IF_ERROR(CheckExecutable("serverBinary", o.server_binary));
  SKIFF_RETURN_IF_ERROR(CheckExecutable("supervisorBinary", o.supervisor_binary));
  return o;
}

}  // namespace skiff::compute_local
