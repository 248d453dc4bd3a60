// SPDX-License-Identifier: Apache-2.0
// Issue 23 item 1: the progress of a real deploy and update on the local
// target, through the `skiff` binary: one live line on a terminal (forkpty),
// plain lines when stderr is piped.
#include "cli_harness.h"
#include "pty_run.h"

namespace {

using skiff::testing::LocalWorkflowFixture;
using skiff::testing::Quote;
using skiff::testing::Result;
using skiff::testing::RunInPty;
using skiff::testing::SkiffBinary;

using CliProgress = LocalWorkflowFixture;

size_t Count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

TEST_F(CliProgress, DeployIsOneLiveLineOnATerminalAndPlainLinesWhenPiped) {
  std::string line = "env -u NO_COLOR " + Quote(SkiffBinary()) + " -w " + Quote(Path("ws"));
  for (const char* a : {"model", "deploy", "-n", "svc-tty", "-m", "mlp:1", "-ct", "local", "-ic"}) {
    line += " " + Quote(a);
  }
  line += " " + Quote(ic_) + " -o none";
  auto tty = RunInPty(line);
  ASSERT_EQ(tty.rc, 0) << tty.out;
  // Redrawn in place: every draw starts with "\r" and erases the rest.
  EXPECT_GE(Count(tty.out, "\rWaiting for 'svc-tty' to become Healthy: "), 1u) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[K"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[32mHealthy\x1b[0m"), std::string::npos) << tty.out;
  EXPECT_EQ(Count(tty.out, "\n"), 1u) << tty.out;  // -o none: the progress line only

  Result piped = Skiff({"model", "deploy", "-n", "svc-pipe", "-m", "mlp:1", "-ct", "local", "-ic",
                        ic_, "-o", "none"});
  ASSERT_EQ(piped.rc, 0) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\x1b'), std::string::npos) << piped.err;
  EXPECT_NE(piped.err.find("Waiting for 'svc-pipe' to become Healthy: Healthy  "),
            std::string::npos)
      << piped.err;

  Result updated = Skiff({"service", "update", "-n", "svc-pipe", "-m", "mlp:1", "-o", "none"});
  ASSERT_EQ(updated.rc, 0) << updated.err;
  EXPECT_NE(updated.err.find("Updating 'svc-pipe': Transitioning  "), std::string::npos)
      << updated.err;
  EXPECT_NE(updated.err.find("Updating 'svc-pipe': Healthy  "), std::string::npos) << updated.err;
  EXPECT_EQ(updated.err.find('\r'), std::string::npos) << updated.err;
}

}  // namespace
