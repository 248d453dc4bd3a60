// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/library_closure.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "skiff/util/file.h"

extern char** environ;

namespace skiff::oci {

StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv) {
  const std::string what = "`" + argv.at(0) + "`";
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
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  out_w = Fd();
  err_w = Fd();
  if (rc != 0) {
    return FailedPrecondition("cannot run " + what + ": " + std::strerror(rc) +
                              " (is it installed? scripts/deps lists it)");
  }
  // Both pipes at once, so a child that fills one while we wait on the
  // other cannot stall; past the bound the child is killed.
  std::string text, errors;
  bool too_much = false;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&text, &errors};
  const size_t bounds[2] = {16u << 20, 1u << 20};
  int open_fds = 2;
  char buf[64 * 1024];
  while (open_fds > 0 && !too_much) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_fds;
        continue;
      }
      sinks[i]->append(buf, static_cast<size_t>(n));
      too_much = too_much || sinks[i]->size() > bounds[i];
    }
  }
  if (too_much) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_much) return FailedPrecondition(what + " wrote more than 16 MiB");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return FailedPrecondition(what + " failed: " + errors);
  }
  return text;
}

StatusOr<std::vector<std::string>> SharedLibraryClosure(const std::vector<std::string>& elf_files) {
  std::set<std::string> libs;
  for (const std::string& file : elf_files) {
    SKIFF_ASSIGN_OR_RETURN(std::string text, RunAndCapture({"ldd", file}));
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      // "\tlibfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)"
      // "\t/lib64/ld-linux-x86-64.so.2 (0x...)"
      // "\tlinux-vdso.so.1 (0x...)"          (in the kernel, nothing to copy)
      // "\tlibbar.so.2 => not found"
      const size_t arrow = line.find("=> ");
      std::string rest = arrow == std::string::npos ? line : line.substr(arrow + 3);
      const size_t start = rest.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      rest = rest.substr(start);
      if (rest.rfind("not found", 0) == 0) {
        return FailedPrecondition("'" + file + "' needs a library the loader cannot find:" + line +
                                  "; install it (scripts/deps) or fix LD_LIBRARY_PATH");
      }
      if (rest[0] != '/') continue;  // the vDSO, "statically linked"
      // RUNPATH lookups come back as "/lib/x86_64-linux-gnu/../../lib/...":
      // one file, one path in the image.
      libs.insert(
          std::filesystem::path(rest.substr(0, rest.find(" ("))).lexically_normal().string());
    }
  }
  return std::vector<std::string>(libs.begin(), libs.end());
}

}  // namespace skiff::oci
