// SPDX-License-Identifier: Apache-2.0
// Issue 23 (docs/reliability.md "Issue 23: CLI polish"): `skiff completion
// zsh|bash` driven as a user drives it: an interactive zsh (and bash) on a
// pseudo-terminal loads the script the real `skiff` prints, TAB is typed,
// and the words the shell draws are read back. CliConventions computes the
// candidates by calling the function; this is the shell's own completion.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli_harness.h"
#include "pty_session.h"

namespace {

namespace fs = std::filesystem;
using skiff::testing::PtySession;
using skiff::testing::SkiffBinary;

constexpr std::chrono::seconds kWait{15};

class ShellCompletion : public skiff::testing::CliFixture {
 protected:
  // Starts `argv` with `skiff` on PATH and this test's folder as HOME (zsh's
  // .zcompdump goes there), on a plain xterm.
  void StartShell(const std::vector<std::string>& argv) {
    const std::string bin = fs::path(SkiffBinary()).parent_path().string();
    const char* path = std::getenv("PATH");
    ASSERT_TRUE(shell_->Start(argv, {"PATH=" + bin + ":" + (path ? path : "/usr/bin:/bin"),
                                     "HOME=" + dir_, "ZDOTDIR=" + dir_, "TERM=xterm",
                                     "INPUTRC=/dev/null", "SKIFF_WORKSPACE=" + dir_ + "/ws"}));
  }
  // Runs `line` and waits for `marker`'s value, which the echo of the line
  // cannot hold: `print READY-$((6*7))` draws READY-42 only when it ran.
  void RunAndWait(const std::string& line, const std::string& marker) {
    const size_t mark = shell_->Mark();
    ASSERT_TRUE(shell_->Send(line + "\r"));
    ASSERT_TRUE(shell_->WaitForText(mark, marker, kWait))
        << "no '" << marker << "' after: " << line << "\n"
        << PtySession::ScreenText(shell_->Since(mark));
  }
  // Types `keys` (ending in TAB), then puts `printf '<%s>'` in front of the
  // line and runs it: the words on the line after the completion, as
  // "<skiff><service>", which nothing echoed can draw.
  std::string CompletedLine(const std::string& keys, const std::string& expected) {
    const size_t mark = shell_->Mark();
    EXPECT_TRUE(shell_->Send(keys));
    // The completed word drawn first (what was typed holds only its start),
    // so the next keys are not typed ahead of the completion.
    const size_t open = expected.rfind('<');
    const std::string word = expected.substr(open + 1, expected.size() - open - 2);
    EXPECT_TRUE(shell_->WaitForText(mark, word, kWait));
    // Ctrl-A: to the line's start (emacs keys).
    EXPECT_TRUE(shell_->Send("\x01printf '<%s>' \r"));
    shell_->WaitForText(mark, expected, kWait);
    const std::string screen = PtySession::ScreenText(shell_->Since(mark));
    return screen.find(expected) == std::string::npos ? screen : expected;
  }
  // Types `keys` (ending in TAB, or two for bash), waits until every word of
  // `listed` was drawn after the typed line, then clears the line.
  void ExpectListed(const std::string& keys, const std::vector<std::string>& listed) {
    const size_t mark = shell_->Mark();
    ASSERT_TRUE(shell_->Send(keys));
    auto all_drawn = [&](const std::string& raw) {
      const std::string screen = PtySession::ScreenText(raw);
      for (const std::string& word : listed) {
        if (screen.find(" " + word + " ") == std::string::npos &&
            screen.find("\n" + word + " ") == std::string::npos) {
          return false;
        }
      }
      return true;
    };
    EXPECT_TRUE(shell_->WaitUntil(mark, all_drawn, kWait))
        << "after " << keys << ":\n"
        << PtySession::ScreenText(shell_->Since(mark));
    ASSERT_TRUE(shell_->Send("\x15"));  // Ctrl-U: the line is cleared
  }

  void TearDown() override {
    shell_.reset();  // killed before its HOME goes
    CliFixture::TearDown();
  }

  std::unique_ptr<PtySession> shell_ = std::make_unique<PtySession>();
};

const std::vector<std::string> kServiceVerbs = {"list",
                                                "start",
                                                "show",
                                                "get-keys",
                                                "regen-key",
                                                "regen-signing-key",
                                                "get-access-token",
                                                "get-logs",
                                                "update",
                                                "delete",
                                                "run",
                                                "restart"};
const std::vector<std::string> kRolloutVerbs = {"start",  "status", "pause",
                                                "resume", "abort",  "run"};

// zsh, as docs/cli.md says to load it: after the user's own `compinit -u`.
// An fpath folder others may write to is what `-u` is for; before, the
// script ran compinit a second time, without -u, which stopped at zsh's
// "insecure directories ... [y/n]?" and ate the keys typed next.
TEST_F(ShellCompletion, ZshCompletesAndListsOnTab) {
  const std::string open_dir = Path("site-functions");
  fs::create_directories(open_dir);
  fs::permissions(open_dir, fs::perms::all);  // 0777: compaudit calls it insecure
  StartShell({"zsh", "-f", "-i"});
  RunAndWait("PS1='%% '; bindkey -e; fpath=(" + open_dir +
                 " $fpath); autoload -U compinit && compinit -u; "
                 "source <(skiff completion zsh); print READY-$((6*7))",
             "READY-42");

  EXPECT_EQ(CompletedLine("skiff serv\t", "<skiff><service>"), "<skiff><service>");
  ExpectListed("skiff service \t", kServiceVerbs);
  ExpectListed("skiff endpoint rollout \t", kRolloutVerbs);
  EXPECT_EQ(CompletedLine("skiff model list --out\t", "<skiff><model><list><--output>"),
            "<skiff><model><list><--output>");
  EXPECT_EQ(CompletedLine("skiff model list -o ts\t", "<skiff><model><list><-o><tsv>"),
            "<skiff><model><list><-o><tsv>");
}

// bash, loaded as docs/cli.md says: the same words. bash lists an
// ambiguous word on the second TAB.
TEST_F(ShellCompletion, BashCompletesAndListsOnTab) {
  StartShell({"bash", "--norc", "--noprofile", "-i"});
  RunAndWait("PS1='$ '; set -o emacs; source <(skiff completion bash); echo READY-$((6*7))",
             "READY-42");

  EXPECT_EQ(CompletedLine("skiff serv\t", "<skiff><service>"), "<skiff><service>");
  ExpectListed("skiff service \t\t", kServiceVerbs);
  ExpectListed("skiff endpoint rollout \t\t", kRolloutVerbs);
  EXPECT_EQ(CompletedLine("skiff model list --out\t", "<skiff><model><list><--output>"),
            "<skiff><model><list><--output>");
  EXPECT_EQ(CompletedLine("skiff model list -o ts\t", "<skiff><model><list><-o><tsv>"),
            "<skiff><model><list><-o><tsv>");
}

}  // namespace
