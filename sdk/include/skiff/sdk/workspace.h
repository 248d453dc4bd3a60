// Workspace: where skiff keeps models, compute targets and services
// (mirrors azureml.core.Workspace). Chosen by an explicit directory, else
// $SKIFF_WORKSPACE, else ./.skiff.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "skiff/status.h"

namespace skiff::sdk {

// Resolves the workspace directory: `explicit_dir` when non-empty, else
// $SKIFF_WORKSPACE when set and non-empty, else "./.skiff".
std::string ResolveWorkspaceDir(const std::string& explicit_dir);

// The directories the plugin host searches, in order: <exe>/../lib/skiff/plugins,
// each entry of $SKIFF_PLUGIN_PATH (colon-separated), the install dir.
std::vector<std::string> DefaultPluginSearchPath();

}  // namespace skiff::sdk
