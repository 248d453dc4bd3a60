// SPDX-License-Identifier: Apache-2.0
// Path and log-tail helpers for the local target's service directory (reads:
// skiff/util/file.h; atomic writes: skiff/util/atomic_file.h).
#pragma once

#include <sys/types.h>

#include <string>

#include "skiff/status.h"
#include "skiff/util/file.h"

namespace skiff::compute_local {

// `path` made absolute against the current directory and normalised; ""
// stays "". Everything the target writes into server.json or hands to
// skiff-supervisor (which runs from /) goes through this.
std::string AbsolutePath(const std::string& path);
// The same for each entry of a colon-separated list (SKIFF_PLUGIN_PATH).
std::string AbsolutePathList(const std::string& list);

// The last `num_lines` lines of `text` (all when <= 0).
std::string TailLines(const std::string& text, int num_lines);

}  // namespace skiff::compute_local
