// SPDX-License-Identifier: Apache-2.0
// Issue 17 item 3: the local target finds skiff-server and skiff-supervisor
// itself (the SDK used to pass their paths as the plugin's options).
#include "executable_finder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "options.h"

namespace skiff::compute_local {
namespace {

namespace fs = std::filesystem;

TEST(ComputeLocalExecutableFinder, CandidatesInOrder) {
  ExecutableSearch s;
  s.module_path = "/opt/skiff/lib/skiff/plugins/libskiff_compute_local.so";
  s.install_bindir = "/usr/local/bin";
  s.path = "/usr/bin::/bin";
  EXPECT_EQ(ExecutableCandidates("skiff-server", s),
            (std::vector<std::string>{"/opt/skiff/bin/skiff-server", "/usr/local/bin/skiff-server",
                                      "/usr/bin/skiff-server", "/bin/skiff-server"}));
  s.env_value = "/custom/skiff-server";
  EXPECT_EQ(ExecutableCandidates("skiff-server", s),
            (std::vector<std::string>{"/custom/skiff-server"}))
      << "an override is the only candidate: a wrong one fails instead of falling back";
}

TEST(ComputeLocalExecutableFinder, FindsTheFirstExecutable) {
  const fs::path root = fs::temp_directory_path() / ("skiff-finder-" + std::to_string(::getpid()));
  fs::create_directories(root / "lib/skiff/plugins");
  fs::create_directories(root / "bin");
  fs::create_directories(root / "path");
  std::ofstream(root / "path/skiff-server") << "#!/bin/sh\n";
  ::chmod((root / "path/skiff-server").c_str(), 0755);
  std::ofstream(root / "bin/skiff-server") << "not executable";
  ::chmod((root / "bin/skiff-server").c_str(), 0644);
  ExecutableSearch s;
  s.module_path = (root / "lib/skiff/plugins/libskiff_compute_local.so").string();
  s.path = (root / "path").string();
  std::vector<std::string> looked_in;
  EXPECT_EQ(FindExecutable("skiff-server", s, &looked_in), (root / "path/skiff-server").string())
      << "a file that is not executable is passed over";
  EXPECT_EQ(looked_in.size(), 2u);
  ::chmod((root / "bin/skiff-server").c_str(), 0755);
  EXPECT_EQ(FindExecutable("skiff-server", s), (root / "bin/skiff-server").string())
      << "beside the plugin first";
  EXPECT_EQ(FindExecutable("skiff-nothing", s), "");
  fs::remove_all(root);
}

// Without serverBinary the options find it; a wrong override is named.
TEST(ComputeLocalExecutableFinder, OptionsUseTheOverride) {
  ::setenv("SKIFF_SERVER_BINARY", "/bin/true", 1);
  ::setenv("SKIFF_SUPERVISOR_BINARY", "/bin/true", 1);
  auto found = ParseOptions(R"({"targetName": "loc", "workspaceDir": "/ws"})");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->server_binary, "/bin/true");
  ::setenv("SKIFF_SERVER_BINARY", "/nonexistent/skiff-server", 1);
  auto wrong = ParseOptions("{}");
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("/nonexistent/skiff-server"), std::string::npos)
      << wrong.status().message();
  EXPECT_NE(wrong.status().message().find("SKIFF_SERVER_BINARY"), std::string::npos)
      << wrong.status().message();
  ::unsetenv("SKIFF_SERVER_BINARY");
  ::unsetenv("SKIFF_SUPERVISOR_BINARY");
}

}  // namespace
}  // namespace skiff::compute_local
