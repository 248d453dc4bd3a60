// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include "skiff/util/file.h"

extern char** environ;

namespace skiff {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> MergedEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : extra) vars[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

Status ErrnoStatus(const char* what) {
  return Internal(std::string(what) + ": " + std::strerror(errno));
}

// A pipe whose ends are closed on exec (the child gets its end through
// posix_spawn's dup2, which clears the flag on the copy).
Status MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe");
  *read_end = Fd(fds[0]);
  *write_end = Fd(fds[1]);
  return OkStatus();
}

// Milliseconds to `deadline` for poll(); -1 (wait) without one.
int PollTimeout(const std::optional<Clock::time_point>& deadline) {
  if (!deadline) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

// Waits for `pid`; past `deadline` kills it first. Its wait status.
int Reap(pid_t pid, const std::optional<Clock::time_point>& deadline, bool* timed_out) {
  int status = 0;
  if (deadline) {
    // The child closed its output but may still run: wait for it no longer
    // than the deadline (no portable way to poll a pid before pidfds).
    for (;;) {
      const pid_t got = ::waitpid(pid, &status, WNOHANG);
      if (got == pid) return status;
      if (got < 0 && errno != EINTR) return status;
      if (Clock::now() >= *deadline) {
        *timed_out = true;
        ::kill(pid, SIGKILL);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

std::string FirstLine(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  std::string line = text.substr(start, text.find_first_of("\r\n", start) - start);
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

StatusOr<ProgramOutput> RunProgram(const ProgramRun& run) {
  if (run.argv.empty() || run.argv[0].empty()) return InvalidArgument("no program to run");
  const std::string what = "`" + run.argv[0] + "`";
  Fd out_r, out_w, err_r, err_w, in_parent, in_child;
  SKIFF_RETURN_IF_ERROR(MakePipe(&out_r, &out_w));
  SKIFF_RETURN_IF_ERROR(MakePipe(&err_r, &err_w));
  if (run.input) {
    // A socket rather than a pipe: send(MSG_NOSIGNAL) to a child that exits
    // without reading fails with EPIPE instead of killing this process.
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoStatus("socketpair");
    }
    in_parent = Fd(sv[0]);
    in_child = Fd(sv[1]);
    ::fcntl(in_parent.get(), F_SETFL, ::fcntl(in_parent.get(), F_GETFL) | O_NONBLOCK);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (run.input) {
    posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);
  } else {
    // skiff never runs a program interactively: it cannot read the terminal.
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  std::vector<char*> args;
  for (const auto& a : run.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (!run.env.empty()) {
    env_strings = MergedEnvironment(run.env);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  pid_t pid = 0;
  // posix_spawnp searches this process's PATH, as the user's shell would.
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(),
                                run.env.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  out_w = Fd();
  err_w = Fd();
  in_child = Fd();
  if (rc != 0) {
    return FailedPrecondition("cannot run " + what + ": " + std::strerror(rc) +
                              " (is it installed and on PATH?)");
  }

  std::optional<Clock::time_point> deadline;
  if (run.timeout.count() > 0) deadline = Clock::now() + run.timeout;
  ProgramOutput result;
  bool too_much = false, timed_out = false;
  size_t written = 0;
  // 0: stdout, 1: stderr, 2: the child's stdin (while there is input left).
  pollfd fds[3] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}, {-1, POLLOUT, 0}};
  if (run.input && !run.input->empty()) {
    fds[2].fd = in_parent.get();
  } else {
    in_parent = Fd();  // nothing to write: the child reads EOF
  }
  std::string* sinks[2] = {&result.out, &result.err};
  const size_t bounds[2] = {run.max_stdout_bytes, run.max_stderr_bytes};
  int open_outputs = 2;
  char buf[64 * 1024];
  while (open_outputs > 0 && !too_much) {
    const int timeout_ms = PollTimeout(deadline);
    if (deadline && timeout_ms == 0 && Clock::now() >= *deadline) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, 3, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLHUP | POLLERR))) {
      const std::string& input = *run.input;
      const ssize_t sent =
          ::send(fds[2].fd, input.data() + written, input.size() - written, MSG_NOSIGNAL);
      if (sent > 0) written += static_cast<size_t>(sent);
      if ((sent < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        fds[2].fd = -1;    // poll ignores negative descriptors
        in_parent = Fd();  // EOF for the child (or it stopped reading)
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        --open_outputs;
        continue;
      }
      sinks[i]->append(buf, static_cast<size_t>(got));
      too_much = too_much || sinks[i]->size() > bounds[i];
    }
  }
  if (too_much || timed_out) ::kill(pid, SIGKILL);
  in_parent = Fd();  // a child still reading its stdin gets EOF and can exit
  const int status = Reap(pid, too_much || timed_out ? std::nullopt : deadline, &timed_out);
  if (timed_out) {
    const int64_t ms = run.timeout.count();
    return FailedPrecondition(
        what + " did not finish within " +
        (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") +
        " and was stopped (skiff runs it without a terminal: does it "
        "wait for an interactive login?)");
  }
  if (too_much) {
    return FailedPrecondition(what + " printed more than skiff reads (" +
                              std::to_string(run.max_stdout_bytes) + " bytes on stdout, " +
                              std::to_string(run.max_stderr_bytes) + " on stderr)");
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv) {
  ProgramRun run;
  run.argv = argv;
  run.timeout = std::chrono::milliseconds(0);
  run.max_stdout_bytes = 16u << 20;
  run.max_stderr_bytes = 1u << 20;
  SKIFF_ASSIGN_OR_RETURN(ProgramOutput result, RunProgram(run));
  if (result.exit_code != 0) {
    return FailedPrecondition("`" + argv.at(0) + "` failed (exit " +
                              std::to_string(result.exit_code) +
                              "): " + result.err.substr(0, 4096));
  }
  return std::move(result.out);
}

}  // namespace skiff
