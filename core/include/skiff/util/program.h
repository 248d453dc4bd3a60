// SPDX-License-Identifier: Apache-2.0
// Running a child program and capturing what it prints, for every room:
// credential helpers (`az`, kubeconfig exec plugins) in compute-aks, `ldd`
// for the OCI image builder, tools in tests. Standard library + POSIX only:
// lives in skiff_abi.
//
// The program runs without a shell (argv as given, nothing interpreted).
// stdin is /dev/null unless `input` gives it bytes; stdout and stderr are
// read together (a child that fills one while skiff waits on the other
// cannot stall) and each is bounded; past `timeout` the child is killed
// (SIGKILL) and reaped, so a helper waiting on an interactive login cannot
// hang a command. What it prints stays in memory: helpers print tokens, so
// nothing here logs it, and nothing secret should go in argv (other users
// can read a process's argv): pass it in `env` or `input`.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "skiff/status.h"

namespace skiff {

struct ProgramRun {
  // argv[0]: a path, or a bare name looked up on this process's PATH (as
  // the user's shell would find it).
  std::vector<std::string> argv;
  // Added to (or replacing in) this process's environment for the child.
  std::vector<std::pair<std::string, std::string>> env;
  // Written to the child's stdin, which is then closed; nullopt: /dev/null.
  std::optional<std::string> input;
  // Zero: no limit (only for programs skiff trusts to finish, such as ldd).
  std::chrono::milliseconds timeout{60 * 1000};
  // Past either bound the child is killed and the run fails.
  std::size_t max_stdout_bytes = 1u << 20;
  std::size_t max_stderr_bytes = 64u << 10;
};

struct ProgramOutput {
  int exit_code = 0;  // 128 + N for a child killed by signal N
  std::string out;
  std::string err;
};

// The child's output whatever its exit code (the caller words a failure).
// InvalidArgument for an empty argv; FailedPrecondition naming argv[0] when
// it cannot be started, printed more than a bound, or ran past the timeout;
// Internal when a pipe cannot be made. Threading: may be called from any
// thread; it waits only for its own child.
StatusOr<ProgramOutput> RunProgram(const ProgramRun& run);

// RunProgram with the defaults of a trusted tool (no timeout, stdout up to
// 16 MiB, stderr up to 1 MiB): its stdout when it exits 0; FailedPrecondition
// naming argv[0] with its exit code and stderr (the first 4 KiB) otherwise.
StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv);

// The first non-blank line of `text`, at most 300 characters: enough to say
// why a program failed in a one-line error.
std::string FirstLine(const std::string& text);

}  // namespace skiff
