// SPDX-License-Identifier: Apache-2.0
// RunProgram: runs a credential helper (`az`, a kubeconfig exec plugin) and
// captures what it prints. The helpers print tokens, so the output stays in
// memory: nothing is logged, and the token never goes into argv.
//
// stdin is /dev/null (skiff never runs a helper interactively); stdout and
// stderr are read together (a helper that fills one cannot stall) and
// bounded; past `timeout` the helper is killed, so a helper waiting on a
// browser login cannot hang a deploy.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "skiff/status.h"

namespace skiff::compute_aks {

struct ProgramRun {
  // argv[0]: a path, or a bare name looked up on the PATH of `env` (of the
  // process when `env` sets none).
  std::vector<std::string> argv;
  // Added to (or replacing in) the process environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::chrono::milliseconds timeout{60 * 1000};
  size_t max_stdout_bytes = 1u << 20;
};

struct ProgramOutput {
  int exit_code = 0;  // 128 + N for a helper killed by signal N
  std::string out;
  std::string err;
};

// kFailedPrecondition when it cannot be started (naming argv[0]), wrote
// more than the bound, or ran past the timeout; otherwise its output
// whatever its exit code (the caller words the failure). Threading: pure.
StatusOr<ProgramOutput> RunProgram(const ProgramRun& run);

// The first line of a helper's stderr, at most 300 characters: enough to
// say why it failed in a one-line error.
std::string FirstLine(const std::string& text);

}  // namespace skiff::compute_aks
