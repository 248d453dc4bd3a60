// SPDX-License-Identifier: Apache-2.0
// An interactive program on a pseudo-terminal, driven as a user would: keys
// are written to it, and what it draws is read until an expected text shows
// or a deadline passes (never a fixed sleep). For tests of what only an
// interactive shell does, such as completion on TAB. RunInPty (pty_run.h)
// is the one-shot form.
#pragma once

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace skiff::testing {

class PtySession {
 public:
  PtySession() = default;
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;
  // Kills the program (SIGKILL) and reaps it.
  ~PtySession() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    if (master_ >= 0) ::close(master_);
  }

  // Starts `argv` (argv[0] looked up on PATH) on a new terminal of
  // `columns` x `rows`, with `env` (NAME=VALUE) set on top of this
  // process's environment. False when the terminal or the fork fails.
  bool Start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             unsigned short columns = 160, unsigned short rows = 48) {
    // Built before the fork: the child only execs.
    std::vector<std::string> merged;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const std::string& mine : env) replaced |= mine.rfind(name + "=", 0) == 0;
      if (!replaced) merged.push_back(entry);
    }
    merged.insert(merged.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (std::string& e : merged) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args_copy = argv;
    std::vector<char*> args;
    for (std::string& a : args_copy) args.push_back(a.data());
    args.push_back(nullptr);
    struct winsize size = {};
    size.ws_col = columns;
    size.ws_row = rows;
    pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      ::execvpe(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    return pid_ > 0;
  }

  // Writes `keys` as typed (a TAB is "\t", Enter "\r").
  bool Send(const std::string& keys) {
    size_t done = 0;
    while (done < keys.size()) {
      const ssize_t n = ::write(master_, keys.data() + done, keys.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads until `done(output since mark)` holds or `timeout` passes;
  // returns whether it held.
  template <typename Done>
  bool WaitUntil(size_t mark, Done done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (done(Since(mark))) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      struct pollfd p = {master_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;  // the deadline is checked above
      char buf[4096];
      const ssize_t n = ::read(master_, buf, sizeof(buf));
      if (n > 0) {
        output_.append(buf, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return done(Since(mark));  // the program is gone (EIO)
      }
    }
  }
  // As WaitUntil, for `text` in the output since `mark` with the terminal's
  // control sequences removed (ScreenText).
  bool WaitForText(size_t mark, const std::string& text, std::chrono::milliseconds timeout) {
    return WaitUntil(
        mark,
        [&](const std::string& raw) { return ScreenText(raw).find(text) != std::string::npos; },
        timeout);
  }

  // Everything read so far, raw, and a position in it.
  const std::string& output() const { return output_; }
  size_t Mark() const { return output_.size(); }
  std::string Since(size_t mark) const { return output_.substr(std::min(mark, output_.size())); }

  // `raw` without ANSI escape sequences (CSI, OSC, two-byte ESC x), with
  // every other control character (CR, BS, BEL) made a space: the words a
  // user sees drawn, in the order they were drawn.
  static std::string ScreenText(const std::string& raw) {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(raw[i]);
      if (c == 0x1b && i + 1 < raw.size()) {
        const char kind = raw[i + 1];
        if (kind == '[') {  // CSI: parameters, then a final byte in @..~
          i += 2;
          while (i < raw.size() && !(raw[i] >= '@' && raw[i] <= '~')) ++i;
        } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
          i += 2;
          while (i < raw.size() && raw[i] != '\a' && raw[i] != '\x1b') ++i;
          if (i < raw.size() && raw[i] == '\x1b') ++i;
        } else {
          ++i;
        }
        continue;
      }
      if (c == '\n') {
        out += '\n';
      } else if (c < 0x20 || c == 0x7f) {
        out += ' ';
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
};

}  // namespace skiff::testing
