// SPDX-License-Identifier: Apache-2.0
#include "transport/program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "skiff/util/file.h"

extern char** environ;

namespace skiff::compute_aks {
namespace {

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
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Internal("pipe: " + std::string(std::strerror(errno)));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return Internal("pipe: " + std::string(std::strerror(errno)));
  }
  Fd out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  std::vector<char*> args;
  for (const auto& a : run.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = MergedEnvironment(run.env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  // posix_spawnp searches the PATH of this process: the helper is found
  // where the user's shell would find it.
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  out_w = Fd();
  err_w = Fd();
  if (rc != 0) {
    return FailedPrecondition("cannot run " + what + ": " + std::strerror(rc) +
                              " (is it installed and on PATH?)");
  }
  ProgramOutput result;
  bool too_much = false, timed_out = false;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  const size_t bounds[2] = {run.max_stdout_bytes, 64u << 10};
  int open_fds = 2;
  char buf[16 * 1024];
  const auto deadline = std::chrono::steady_clock::now() + run.timeout;
  while (open_fds > 0 && !too_much) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_fds;
        continue;
      }
      sinks[i]->append(buf, static_cast<size_t>(got));
      too_much = too_much || sinks[i]->size() > bounds[i];
    }
  }
  if (too_much || timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return FailedPrecondition(what + " did not finish within " +
                              std::to_string(run.timeout.count() / 1000) +
                              " s and was stopped (skiff runs it without a terminal: does it "
                              "wait for an interactive login?)");
  }
  if (too_much) return FailedPrecondition(what + " printed more than skiff reads");
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace skiff::compute_aks
