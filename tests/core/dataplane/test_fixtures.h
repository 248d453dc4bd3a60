// SPDX-License-Identifier: Apache-2.0
// Set-up the data-plane tests share: a fresh folder per test and a plugin
// host that sees the built plugins and the test accelerators.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "skiff/plugin_host/plugin_host.h"

namespace skiff::testing {

// <tmp>/skiff-<prefix>-<pid>-<test name>, emptied and created.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("skiff-" + prefix + "-" + std::to_string(::getpid()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Plugins from the build tree (SKIFF_BINARY_DIR): the shipped ones and
// tests/dataplane_plugins (the test model accelerator), discovered.
inline std::unique_ptr<PluginHost> TestPluginHost() {
  const std::string bin = std::getenv("SKIFF_BINARY_DIR");
  PluginHost::Options options;
  options.search_path = {bin + "/lib/skiff/plugins", bin + "/tests/dataplane_plugins"};
  auto host = std::make_unique<PluginHost>(options);
  host->Discover();
  return host;
}

}  // namespace skiff::testing
