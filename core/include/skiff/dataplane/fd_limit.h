// SPDX-License-Identifier: Apache-2.0
// The open-file limit skiff-server runs under. Every connection is a file
// descriptor, and the default connection cap is derived from the soft
// RLIMIT_NOFILE (DefaultMaxConnections), so a soft limit left at the common
// 1024 would cap the server below 1,024 keep-alive clients (issue 20.6).
#pragma once

#include <cstdint>
#include <string>

namespace skiff::dataplane {

// The soft limit skiff-server asks for: enough for 1,024 clients with room
// to spare, small enough that the derived cap (14,336 connections) stays a
// bound on memory. A soft limit already above it is left alone.
inline constexpr uint64_t kWantedOpenFiles = 16384;

struct OpenFileLimit {
  uint64_t before = 0;  // soft limit at start (0 = unknown)
  uint64_t after = 0;   // soft limit now
};

// Raises the soft RLIMIT_NOFILE towards min(hard limit, `wanted`) when it is
// lower; never lowers it and never touches the hard limit (no privilege
// needed). An unlimited or unreadable limit is left as it is.
// Threading: call once at start, before threads open descriptors.
OpenFileLimit RaiseOpenFileLimit(uint64_t wanted = kWantedOpenFiles);

}  // namespace skiff::dataplane
