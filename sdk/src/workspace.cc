// SPDX-License-Identifier: Apache-2.0
#include "skiff/sdk/workspace.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>

#include "skiff/util/debug_log.h"

namespace skiff::sdk {

std::string ResolveWorkspaceDir(const std::string& explicit_dir) {
  std::string dir = explicit_dir;
  if (dir.empty()) {
    const char* env = std::getenv("SKIFF_WORKSPACE");
    dir = env != nullptr && *env != '\0' ? env : "./.skiff";
  }
  // Absolute once, here: every path derived from it is stored or handed to
  // processes (skiff-supervisor runs from /) that do not share our cwd.
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(dir, ec);
  if (ec) return dir;  // no cwd to resolve against; opening it reports the problem
  path = path.lexically_normal();
  std::string out = path.string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
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
  DebugLog("workspace: " + resolved);
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<store::WorkspaceStore> store,
                         store::WorkspaceStore::Open(resolved));
  return Workspace(resolved, std::shared_ptr<store::WorkspaceStore>(std::move(store)));
}

}  // namespace skiff::sdk
