// SPDX-License-Identifier: Apache-2.0
#include "file_checks.h"

#include <gtest/gtest.h>

namespace skiff::plugin_host_internal {
namespace {

TEST(PluginFileNameTest, SplitsKindAndName) {
  std::string kind, name;
  ASSERT_TRUE(ParsePluginFileName("libskiff_accelerator_torch.so", &kind, &name));
  EXPECT_EQ(kind, "accelerator");
  EXPECT_EQ(name, "torch");
  ASSERT_TRUE(ParsePluginFileName("libskiff_compute_local-dev.so", &kind, &name));
  EXPECT_EQ(name, "local-dev");
}

TEST(PluginFileNameTest, RejectsOtherNames) {
  std::string kind, name;
  for (const char* bad : {"libskiff_.so", "libskiff_accelerator.so", "libskiff_accelerator_.so",
                          "libfoo_accelerator_x.so", "libskiff_accelerator_x.so.1",
                          "libskiff__x.so", "skiff_accelerator_x.so"}) {
    EXPECT_FALSE(ParsePluginFileName(bad, &kind, &name)) << bad;
  }
}

TEST(PluginFileCheckTest, MissingFileIsNotFound) {
  EXPECT_EQ(CheckPluginFile("/nonexistent/libskiff_accelerator_x.so").code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff::plugin_host_internal
