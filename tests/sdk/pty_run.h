// SPDX-License-Identifier: Apache-2.0
// Runs a shell command on a pseudo-terminal (forkpty) and returns everything
// it wrote to it (stdout and stderr), for tests of terminal-only behaviour:
// colour, live progress lines.
#pragma once

#include <errno.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace skiff::testing {

struct PtyResult {
  int rc = -1;
  std::string out;
};

inline PtyResult RunInPty(const std::string& shell_command) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", shell_command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  PtyResult r;
  if (pid < 0) return r;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof(buf));
    if (n > 0) {
      r.out.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO once the child side is closed
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace skiff::testing
