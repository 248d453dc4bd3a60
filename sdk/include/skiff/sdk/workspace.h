// SPDX-License-Identifier: Apache-2.0
// Workspace: where skiff keeps models, compute targets and services
// (mirrors azureml.core.Workspace). Chosen by an explicit directory, else
// $SKIFF_WORKSPACE, else ./.skiff.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "skiff/status.h"
#include "skiff/status_print.h"  // applications print results as they are
#include "skiff/store/workspace_store.h"

namespace skiff::sdk {

// Resolves the workspace directory: `explicit_dir` when non-empty, else
// $SKIFF_WORKSPACE when set and non-empty, else "./.skiff"; always returned
// absolute and normalised (relative ones against the current directory), so
// paths derived from it mean the same thing to every process.
std::string ResolveWorkspaceDir(const std::string& explicit_dir);

// The directories the plugin host searches, in order: <exe>/../lib/skiff/plugins,
// each entry of $SKIFF_PLUGIN_PATH (colon-separated), the install dir.
std::vector<std::string> DefaultPluginSearchPath();

// An open workspace. Cheap to copy: copies share one WorkspaceStore.
// Threading: as store::WorkspaceStore (usable from several threads; several
// processes may open the same directory).
class Workspace {
 public:
  // Opens (creating when missing) ResolveWorkspaceDir(dir).
  static StatusOr<Workspace> Open(const std::string& dir = "");

  const std::string& dir() const { return dir_; }
  store::WorkspaceStore& store() const { return *store_; }

 private:
  Workspace(std::string dir, std::shared_ptr<store::WorkspaceStore> store)
      : dir_(std::move(dir)), store_(std::move(store)) {}
  std::string dir_;
  std::shared_ptr<store::WorkspaceStore> store_;
};

}  // namespace skiff::sdk
