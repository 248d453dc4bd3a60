#include "skiff/sdk/plugins.h"

#include "skiff/sdk/workspace.h"

namespace skiff::sdk {

std::unique_ptr<PluginHost> DiscoverPlugins() {
  PluginHost::Options options;
  options.search_path = DefaultPluginSearchPath();
  auto host = std::make_unique<PluginHost>(std::move(options));
  host->Discover();
  return host;
}

const PluginHost& SharedPlugins() {
  static PluginHost* host = DiscoverPlugins().release();  // intentionally leaked
  return *host;
}

}  // namespace skiff::sdk
