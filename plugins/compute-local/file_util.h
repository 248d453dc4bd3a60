// Small file helpers for the local target's service directory: reads and
// log tails (atomic writes: skiff/util/atomic_file.h).
#pragma once

#include <sys/types.h>

#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

// The whole file; kNotFound if it does not exist.
StatusOr<std::string> ReadFile(const std::string& path);

// The last `num_lines` lines of `text` (all when <= 0).
std::string TailLines(const std::string& text, int num_lines);

}  // namespace skiff::compute_local
