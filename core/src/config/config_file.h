// SPDX-License-Identifier: Apache-2.0
// Reading a config file into memory, with errors that name the file.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::config::internal {

// The whole content of `path`. kNotFound when it does not exist, kInvalidArgument
// for a directory or an oversized file, kPermissionDenied when unreadable;
// every message names `path`.
StatusOr<std::string> ReadConfigFile(const std::string& path);

// Config files are small; refuse anything larger instead of reading a
// mistakenly passed model artifact into memory.
inline constexpr size_t kMaxConfigFileBytes = 16 * 1024 * 1024;

}  // namespace skiff::config::internal
