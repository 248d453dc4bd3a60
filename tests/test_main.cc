// SPDX-License-Identifier: Apache-2.0
// main() for every skiff test binary: exports SKIFF_SOURCE_DIR and
// SKIFF_BINARY_DIR (unless already set) so tests find fixtures and built
// binaries however they are launched (ctest, by hand, under a debugger).
#include <cstdlib>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::setenv("SKIFF_SOURCE_DIR", SKIFF_TEST_SOURCE_DIR, /*overwrite=*/0);
  ::setenv("SKIFF_BINARY_DIR", SKIFF_TEST_BINARY_DIR, /*overwrite=*/0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
