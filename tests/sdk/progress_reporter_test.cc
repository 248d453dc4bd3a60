// SPDX-License-Identifier: Apache-2.0
// The CLI's ProgressReporter (sdk/cli/progress.h) on a real pseudo-terminal
// (forkpty) and on a pipe: a live line redrawn in place with the elapsed time
// ticking on a terminal, plain lines when piped, colour only on a terminal
// without NO_COLOR.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "progress.h"

namespace {

using skiff::cli::ProgressReporter;

size_t Count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

// The child's script: a first state, then (once the parent says so) a second
// detail and Done. Waiting for the parent keeps the test free of sleeps.
void ChildReport(int go_fd) {
  ProgressReporter::Options options;  // terminal and colour detected on stderr
  options.tick = std::chrono::milliseconds(20);
  ProgressReporter progress("Deploying 'svc'", options);
  progress.Update("Transitioning", "pods 0/2 ready");
  progress.Update("Transitioning", "pods 0/2 ready");  // no change: no new line when piped
  char c;
  if (go_fd >= 0) (void)!::read(go_fd, &c, 1);
  progress.Update("Transitioning", "pods 1/2 ready");
  progress.Done("Healthy");
}

// Reads `fd` until EOF/EIO; once `ready(out)` holds (or after 20 s), writes
// the go byte so the child finishes.
std::string Drain(int fd, int go_fd, bool (*ready)(const std::string&)) {
  std::string out;
  bool sent = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    if (!sent && (ready(out) || std::chrono::steady_clock::now() > deadline)) {
      if (go_fd >= 0) (void)!::write(go_fd, "g", 1);
      sent = true;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (!(n < 0 && errno == EINTR)) {
      break;
    }
  }
  return out;
}

std::string OnPty(bool no_color) {
  int go[2];
  EXPECT_EQ(::pipe(go), 0);
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    if (no_color) {
      ::setenv("NO_COLOR", "1", 1);
    } else {
      ::unsetenv("NO_COLOR");
    }
    ::close(go[1]);
    ChildReport(go[0]);
    ::_exit(0);
  }
  ::close(go[0]);
  // Three redraws of the first state: the ticker is redrawing the line.
  std::string out = Drain(master, go[1], [](const std::string& s) { return Count(s, "\r") >= 4; });
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  ::close(go[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return out;
}

TEST(ProgressReporter, LiveLineOnATerminal) {
  const std::string out = OnPty(/*no_color=*/false);
  EXPECT_GE(Count(out, "\rDeploying 'svc': "), 4u) << out;  // redrawn in place, ticking
  EXPECT_NE(out.find("\x1b[K"), std::string::npos) << out;
  EXPECT_NE(out.find("pods 1/2 ready"), std::string::npos) << out;
  EXPECT_NE(out.find("\x1b[33mTransitioning\x1b[0m"), std::string::npos) << out;
  EXPECT_NE(out.find("\x1b[32mHealthy\x1b[0m"), std::string::npos) << out;
  // One line on screen: the only newline ends it (the pty writes \r\n).
  EXPECT_EQ(Count(out, "\n"), 1u) << out;
  EXPECT_EQ(out.substr(out.size() - 2), "\r\n");
}

TEST(ProgressReporter, NoColourWithNoColorEvenOnATerminal) {
  const std::string out = OnPty(/*no_color=*/true);
  EXPECT_NE(out.find("Healthy"), std::string::npos) << out;
  EXPECT_EQ(out.find("\x1b[3"), std::string::npos) << out;  // no SGR colour
}

// A live line wider than the terminal would wrap, and "\r" would redraw only
// its last row: the detail is cut to the width (forkpty sets 60 columns).
TEST(ProgressReporter, LiveLineFitsTheTerminalWidth) {
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 60;
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  if (pid == 0) {
    ::setenv("NO_COLOR", "1", 1);
    ProgressReporter::Options options;
    ProgressReporter progress("Waiting for 'svc'", options);
    progress.Update("Transitioning", "Deployment ns/svc: " + std::string(200, 'x'));
    progress.Done("Healthy");
    ::_exit(0);
  }
  const std::string out = Drain(master, -1, [](const std::string&) { return true; });
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  ASSERT_NE(out.find("Deployment ns/svc: xxx"), std::string::npos) << out;
  for (size_t p = out.find('\r'); p != std::string::npos; p = out.find('\r', p + 1)) {
    const size_t end = out.find("\x1b[K", p);
    if (end == std::string::npos) continue;  // the pty's "\r\n"
    EXPECT_LT(end - p - 1, 60u) << out.substr(p, end - p);
  }
}

TEST(ProgressReporter, PlainLinesWhenPiped) {
  int err[2], go[2];
  ASSERT_EQ(::pipe(err), 0);
  ASSERT_EQ(::pipe(go), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::unsetenv("NO_COLOR");
    ::dup2(err[1], STDERR_FILENO);
    ::close(err[0]);
    ::close(go[1]);
    ChildReport(go[0]);
    ::_exit(0);
  }
  ::close(err[1]);
  ::close(go[0]);
  const std::string out =
      Drain(err[0], go[1], [](const std::string& s) { return s.find('\n') != std::string::npos; });
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(err[0]);
  ::close(go[1]);
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  // One line per change: first state, new detail, final state.
  ASSERT_EQ(Count(out, "\n"), 3u) << out;
  EXPECT_EQ(out.rfind("Deploying 'svc': Transitioning  ", 0), 0u) << out;
  EXPECT_NE(out.find("pods 0/2 ready\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pods 1/2 ready\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Deploying 'svc': Healthy  "), std::string::npos) << out;
}

}  // namespace
