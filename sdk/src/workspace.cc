#include "skiff/sdk/workspace.h"

#include <cstdlib>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>

namespace skiff::sdk {

std::string ResolveWorkspaceDir(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  const char* env = std::getenv("SKIFF_WORKSPACE");
  if (env != nullptr && *env != '\0') return env;
  return "./.skiff";
}

std::vector<std::string> DefaultPluginSearchPath() {
  std::vector<std::string> path;
  boost::system::error_code ec;
  boost::dll::fs::path exe = boost::dll::program_location(ec);
  if (!ec) path.push_back((exe.parent_path().parent_path() / "lib" / "skiff" / "plugins").string());
  if (const char* env = std::getenv("SKIFF_PLUGIN_PATH"); env != nullptr) {
    std::stringstream entries(env);
    std::string entry;
    while (std::getline(entries, entry, ':')) {
      if (!entry.empty()) path.push_back(entry);
    }
  }
  path.push_back(SKIFF_PLUGIN_INSTALL_DIR);
  return path;
}

StatusOr<Workspace> Workspace::Open(const std::string& dir) {
  std::string resolved = ResolveWorkspaceDir(dir);
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<store::WorkspaceStore> store,
                         store::WorkspaceStore::Open(resolved));
  return Workspace(resolved, std::shared_ptr<store::WorkspaceStore>(std::move(store)));
}

}  // namespace skiff::sdk
