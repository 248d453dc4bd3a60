// SPDX-License-Identifier: Apache-2.0
#include "skiff/sdk/plugins.h"

#include <unistd.h>

#include <boost/dll/runtime_symbol_info.hpp>

#include "skiff/sdk/workspace.h"
#include "skiff/util/debug_log.h"

namespace skiff::sdk {

std::unique_ptr<PluginHost> DiscoverPlugins() {
  PluginHost::Options options;
  options.search_path = DefaultPluginSearchPath();
  auto host = std::make_unique<PluginHost>(std::move(options));
  host->Discover();
  if (DebugEnabled()) {
    std::string path;
    for (const auto& dir : DefaultPluginSearchPath()) path += (path.empty() ? "" : ":") + dir;
    DebugLog("plugin search path: " + path);
    for (const auto& p : host->plugins()) DebugLog("plugin loaded: " + p->path());
    for (const auto& r : host->refused()) DebugLog("plugin refused: " + r.path + ": " + r.reason);
  }
  return host;
}

const PluginHost& SharedPlugins() {
  static PluginHost* host = DiscoverPlugins().release();  // intentionally leaked
  return *host;
}

std::string FindSkiffExecutable(const std::string& name) {
  std::vector<std::string> candidates;
  boost::system::error_code ec;
  auto exe = boost::dll::program_location(ec);
  if (!ec) {
    candidates.push_back((exe.parent_path() / name).string());
    // A program in <prefix>/tests or <prefix>/libexec beside <prefix>/bin
    // (the build tree's tests): found from where it runs, so no build
    // path is compiled into an installed binary.
    candidates.push_back((exe.parent_path().parent_path() / "bin" / name).string());
  }
  candidates.push_back(std::string(SKIFF_INSTALL_BINDIR) + "/" + name);
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return candidates.front();
}

}  // namespace skiff::sdk
