// SPDX-License-Identifier: Apache-2.0
// A `skiff` command left running (`service get-logs --follow`) whose stdout a
// test reads as it comes: the one copy of the spawn, the read-until-deadline
// loop and the clean-up that the local and AKS follow tests each wrote out.
// A mixin beside the CLI fixture: pid_, out_ and read_ stay the test's own.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

extern char** environ;

namespace skiff::testing {

class CliSubprocess {
 protected:
  // Starts `argv` with stdout on a pipe this test reads; stderr goes to the
  // file `stderr_path` ("" leaves it alone), and `env_first` is put before
  // this process's environment, whose variables with those names it replaces.
  void SpawnReading(std::vector<std::string> argv_words, const std::string& stderr_path = "",
                    const std::vector<std::string>& env_first = {}) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_adddup2(&files, fds[1], STDOUT_FILENO);
    if (!stderr_path.empty()) {
      posix_spawn_file_actions_addopen(&files, STDERR_FILENO, stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
    }
    std::vector<char*> argv;
    for (auto& a : argv_words) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = env_first;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string var(*e);
      bool replaced = false;
      for (const auto& mine : env_first) {
        replaced |= var.compare(0, mine.find('=') + 1, mine, 0, mine.find('=') + 1) == 0;
      }
      if (!replaced) env.push_back(var);
    }
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    ASSERT_EQ(::posix_spawn(&pid_, argv[0], &files, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&files);
    ::close(fds[1]);
    out_ = fds[0];
  }

  // Reads the subprocess's stdout until `needle` is in it (or `limit` passes).
  bool ReadUntil(const std::string& needle, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (read_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return false;  // it exited
      read_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  // TearDown: kills what is still running and closes the pipe.
  void StopSubprocess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (out_ >= 0) ::close(out_);
    out_ = -1;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string read_;
};

}  // namespace skiff::testing
