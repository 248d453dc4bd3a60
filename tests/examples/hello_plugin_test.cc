// SPDX-License-Identifier: Apache-2.0
// Driven by hello_accelerator_test.sh with SKIFF_TEST_HELLO_PLUGIN set to the
// out-of-tree plugin it built; fails (never skips) without it.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "skiff/accelerator.h"
#include "skiff/plugin_host/plugin_host.h"

namespace skiff {
namespace {

TEST(HelloPluginTest, DISABLED_LoadsAndScoresOutOfTreePlugin) {
  const char* path = std::getenv("SKIFF_TEST_HELLO_PLUGIN");
  ASSERT_NE(path, nullptr) << "run through tests/examples/hello_accelerator_test.sh";
  PluginHost host(PluginHost::Options{});
  auto plugin = host.LoadFile(path);
  ASSERT_TRUE(plugin.ok()) << plugin.status().ToString();
  EXPECT_EQ((*plugin)->name(), "hello");
  EXPECT_EQ((*plugin)->version(), "1.0.0");

  auto accel = host.Create<Accelerator>("hello", "{}");
  ASSERT_TRUE(accel.ok()) << accel.status().ToString();
  std::filesystem::path artifact = std::filesystem::temp_directory_path() /
                                   ("hello-artifact-" + std::to_string(::getpid()));
  std::ofstream(artifact) << "3 0.5\n";
  ModelLoadOptions options;
  options.artifact_path = artifact.string();
  auto model = (*accel)->Load(options);
  std::filesystem::remove(artifact);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_TRUE((*model)->Warmup().ok());

  float in[3] = {0.0f, 1.0f, -2.0f};
  Tensor x{"x", DataType::kFp32, {3}, std::vector<uint8_t>(sizeof(in))};
  std::memcpy(x.data.data(), in, sizeof(in));
  auto out = (*model)->Score({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  float y[3];
  std::memcpy(y, (*out)[0].data.data(), sizeof(y));
  EXPECT_FLOAT_EQ(y[0], 0.5f);
  EXPECT_FLOAT_EQ(y[1], 3.5f);
  EXPECT_FLOAT_EQ(y[2], -5.5f);

  options.artifact_path = "/nonexistent/hello.txt";
  auto bad = (*accel)->Load(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("must hold two numbers"), std::string::npos);
}

}  // namespace
}  // namespace skiff
