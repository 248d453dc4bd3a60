// The SDK's view of installed plugins.
#pragma once

#include <memory>

#include "skiff/plugin_host/plugin_host.h"

namespace skiff::sdk {

// A PluginHost over DefaultPluginSearchPath(), already discovered.
std::unique_ptr<PluginHost> DiscoverPlugins();

}  // namespace skiff::sdk
