// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the config tests: temporary files and source-tree paths.
#pragma once

#include <string>

namespace skiff::config::testing {

// Writes `content` to a fresh file under the test temp dir; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& content);

// $SKIFF_SOURCE_DIR/<relative> (set by skiff_add_test); fails the test when unset.
std::string SourcePath(const std::string& relative);

// The whole content of a file ("" when unreadable).
std::string ReadAll(const std::string& path);

}  // namespace skiff::config::testing
