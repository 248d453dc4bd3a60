#include "options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "file_util.h"
#include "skiff/config/json_reader.h"

namespace skiff::compute_local {
namespace {

using nlohmann::json;

// A misspelt key is reported as such before the key it was meant to be is
// missed.
std::string Required(const std::optional<std::string>& value, const char* key,
                     const char* program) {
  if (!value) {
    config::Fail(std::string("`") + key + "` is required (the path to " + program +
                 ", usually <install>/bin)");
  }
  return *value;
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
  SKIFF_ASSIGN_OR_RETURN(
      LocalComputeOptions o, config::ReadConfig("compute local options", [&] {
        const json j = config::ParseJsonText(options_json.empty() ? "{}" : options_json);
        config::ObjectReader r(j, config::kOptionsRoot);
        const auto server = r.String("serverBinary");
        const auto supervisor = r.String("supervisorBinary");
        LocalComputeOptions read;
        read.plugin_path = r.String("pluginPath").value_or("");
        read.workspace_dir = r.String("workspaceDir").value_or("");
        r.RejectUnknownKeys();
        read.server_binary = Required(server, "serverBinary", "skiff-server");
        read.supervisor_binary = Required(supervisor, "supervisorBinary", "skiff-supervisor");
        return read;
      }));
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
