// The `--debug` contract: the CLI's global --debug sets SKIFF_DEBUG=1 in its
// own process before any command runs; code with something to explain
// (which credential was used, why another was skipped) prints it on stderr
// as "DEBUG: <line>" only then. Never pass a secret or token here.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace skiff {

// Read each time (not cached): tests and the CLI set it at run time.
inline bool DebugEnabled() {
  const char* v = std::getenv("SKIFF_DEBUG");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

// One "DEBUG: " line on stderr when DebugEnabled(). Threading: one fprintf,
// so concurrent lines do not interleave within a line.
inline void DebugLine(const std::string& line) {
  if (!DebugEnabled()) return;
  std::fprintf(stderr, "DEBUG: %s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace skiff
