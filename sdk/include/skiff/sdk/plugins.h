// SPDX-License-Identifier: Apache-2.0
// The SDK's view of installed plugins.
#pragma once

#include <memory>
#include <string>

#include "skiff/plugin_host/plugin_host.h"

namespace skiff::sdk {

// A PluginHost over DefaultPluginSearchPath(), already discovered.
std::unique_ptr<PluginHost> DiscoverPlugins();

// The process-wide host the SDK creates its plugin objects with (discovered
// on first use, never destroyed: plugin objects may live until exit).
const PluginHost& SharedPlugins();

// Where the skiff executables are (the image builder packs skiff-server):
// beside the running program, else in ../bin from it (a test binary in the
// build tree), else the install bindir. `name` is e.g. "skiff-server".
std::string FindSkiffExecutable(const std::string& name);

}  // namespace skiff::sdk
