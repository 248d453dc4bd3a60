// SPDX-License-Identifier: Apache-2.0
#include "config_test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace skiff::config::testing {

std::string WriteTempFile(const std::string& name, const std::string& content) {
  static int counter = 0;
  const std::string path = ::testing::TempDir() + "skiff_config_test_" +
                           std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                           name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string SourcePath(const std::string& relative) {
  const char* dir = std::getenv("SKIFF_SOURCE_DIR");
  EXPECT_NE(dir, nullptr) << "SKIFF_SOURCE_DIR is not set; run the test through ctest";
  return std::string(dir == nullptr ? "." : dir) + "/" + relative;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace skiff::config::testing
