// Small file helpers for the local target's service directory: atomic
// writes (temp + rename, so a reader never sees half a file) and log tails.
#pragma once

#include <sys/types.h>

#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

// Writes `content` to `path` through `path.tmp.<pid>` + rename(2), with
// `mode` set before the rename. Safe against concurrent readers.
Status WriteFileAtomic(const std::string& path, const std::string& content, mode_t mode);

// The whole file; kNotFound if it does not exist.
StatusOr<std::string> ReadFile(const std::string& path);

// The last `num_lines` lines of `text` (all when <= 0).
std::string TailLines(const std::string& text, int num_lines);

}  // namespace skiff::compute_local
