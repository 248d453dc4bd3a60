// SPDX-License-Identifier: Apache-2.0
// Debug lines for every room (SDK, plugins, CLI), under one switch: the
// `skiff --debug` flag sets SKIFF_DEBUG=1 in its own process before any
// command runs, and only then is a line printed, to stderr, as
// "DEBUG: <line>". Never pass a key, token or other secret.
// Header-only, std only (usable from skiff_abi and from plugins).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace skiff {

// True when SKIFF_DEBUG is "1"; read on each call, so a flag set after
// start-up (the CLI's --debug) takes effect.
inline bool DebugEnabled() {
  const char* v = std::getenv("SKIFF_DEBUG");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

// Prints "DEBUG: <line>" on stderr when DebugEnabled(). One write per line,
// so lines from threads do not interleave mid-line.
inline void DebugLog(const std::string& line) {
  if (!DebugEnabled()) return;
  const std::string text = "DEBUG: " + line + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace skiff
