// SPDX-License-Identifier: Apache-2.0
// The one program runner (skiff/util/program.h) that compute-aks's
// credential helpers, the OCI image builder's ldd and the tests use: real
// child processes, no fakes.
#include "skiff/util/program.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace skiff {
namespace {

using Clock = std::chrono::steady_clock;

ProgramRun Argv(std::vector<std::string> argv) {
  ProgramRun run;
  run.argv = std::move(argv);
  return run;
}

TEST(ProgramRunner, ExitCodesAndSignalsAreReportedNotRefused) {
  auto ok = RunProgram(Argv({"sh", "-c", "echo out; echo err >&2"}));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->out, "out\n");
  EXPECT_EQ(ok->err, "err\n");

  auto seven = RunProgram(Argv({"sh", "-c", "exit 7"}));
  ASSERT_TRUE(seven.ok()) << seven.status().ToString();
  EXPECT_EQ(seven->exit_code, 7);

  auto killed = RunProgram(Argv({"sh", "-c", "kill -9 $$"}));
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  EXPECT_EQ(killed->exit_code, 128 + SIGKILL);

  auto failed = RunAndCapture({"sh", "-c", "echo why >&2; exit 3"});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("`sh` failed (exit 3): why"), std::string::npos)
      << failed.status().message();
}

TEST(ProgramRunner, ArgumentsReachTheProgramWithoutAShell) {
  auto run = RunProgram(Argv({"printf", "%s|", "$HOME", "a b", "`id`", ";", "*", "'q'", "x\ny"}));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->out, "$HOME|a b|`id`|;|*|'q'|x\ny|");
}

TEST(ProgramRunner, AProgramThatIsNotThereNamesItselfAndTheFix) {
  auto run = RunProgram(Argv({"skiff-no-such-program-here"}));
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(run.status().message().find("cannot run `skiff-no-such-program-here`"),
            std::string::npos)
      << run.status().message();
  EXPECT_NE(run.status().message().find("on PATH"), std::string::npos);
  EXPECT_EQ(RunProgram(Argv({})).status().code(), StatusCode::kInvalidArgument);
}

// The pid the child wrote to `file`, or 0.
pid_t PidIn(const std::string& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

std::string TempFile(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".pid"))
      .string();
}

TEST(ProgramRunner, TimeoutKillsTheChildAndSaysSo) {
  const std::string pid_file = TempFile("skiff-program-timeout");
  ProgramRun run = Argv({"sh", "-c", "echo $$ > " + pid_file + "; exec sleep 30"});
  run.timeout = std::chrono::milliseconds(300);
  const auto start = Clock::now();
  auto result = RunProgram(run);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("did not finish within 300 ms and was stopped"),
            std::string::npos)
      << result.status().message();
  EXPECT_LT(took, std::chrono::seconds(10)) << "not the child's 30 s";
  const pid_t pid = PidIn(pid_file);
  ASSERT_GT(pid, 0);
  // Killed and reaped: no such process any more (not even a zombie).
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  std::filesystem::remove(pid_file);
}

// A child that closes its output early and keeps running is still held to
// the deadline (the runner waits for its exit, not only for EOF).
TEST(ProgramRunner, TimeoutAlsoStopsAChildThatClosedItsOutput) {
  ProgramRun run = Argv({"sh", "-c", "exec >/dev/null 2>&1; sleep 30"});
  run.timeout = std::chrono::milliseconds(300);
  const auto start = Clock::now();
  auto result = RunProgram(run);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("did not finish"), std::string::npos);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST(ProgramRunner, OutputPastItsBoundIsRefusedAndTheChildStopped) {
  // `yes` never ends on its own: only the bound stops it.
  ProgramRun run = Argv({"yes"});
  run.max_stdout_bytes = 1u << 20;
  run.timeout = std::chrono::milliseconds(0);
  auto result = RunProgram(run);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("`yes` printed more than skiff reads"),
            std::string::npos)
      << result.status().message();

  ProgramRun noisy = Argv({"sh", "-c", "head -c 200000 /dev/zero >&2"});
  noisy.max_stderr_bytes = 64u << 10;
  EXPECT_FALSE(RunProgram(noisy).ok());
  noisy.max_stderr_bytes = 256u << 10;
  auto fits = RunProgram(noisy);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->err.size(), 200000u);
}

TEST(ProgramRunner, InputAndEnvironmentReachTheChild) {
  ProgramRun run = Argv({"sh", "-c", "cat; printf '%s' \"$SKIFF_PROGRAM_TEST\""});
  run.input = std::string(300000, 'i');  // more than a socket buffer holds
  run.env = {{"SKIFF_PROGRAM_TEST", "from env"}};
  auto result = RunProgram(run);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->out, *run.input + "from env");

  // A child that never reads its input ends the run normally (no SIGPIPE
  // for this process).
  ProgramRun deaf = Argv({"true"});
  deaf.input = std::string(1u << 20, 'x');
  auto ended = RunProgram(deaf);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(ended->exit_code, 0);

  // Without input the child reads EOF at once (stdin is /dev/null, never
  // this process's terminal).
  auto empty = RunProgram(Argv({"cat"}));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->out, "");
}

TEST(ProgramRunner, FirstLineIsTheFirstNonBlankLineCut) {
  EXPECT_EQ(FirstLine("\n  \nERROR: run az login\nmore"), "ERROR: run az login");
  EXPECT_EQ(FirstLine(""), "");
  EXPECT_EQ(FirstLine(std::string(400, 'a')), std::string(300, 'a') + "...");
}

}  // namespace
}  // namespace skiff
