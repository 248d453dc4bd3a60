// SPDX-License-Identifier: Apache-2.0
#include "process_probe.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include "file_util.h"

namespace skiff::compute_local {
namespace {

// 'Z' (zombie) or 'X' (dead) count as gone: the process no longer runs even
// if nobody has reaped it yet.
bool IsAliveNotZombie(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return false;
  const char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

}  // namespace

bool IsProcessRunning(pid_t pid, const std::string& needle1, const std::string& needle2) {
  if (!IsAliveNotZombie(pid)) return false;
  auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline.ok()) return false;
  std::string text = *cmdline;
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text.find(needle1) != std::string::npos &&
         (needle2.empty() || text.find(needle2) != std::string::npos);
}

StatusOr<pid_t> ReadPidFile(const std::string& path) {
  SKIFF_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::istringstream in(text);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return NotFound(path + " does not hold a pid");
  return static_cast<pid_t>(pid);
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
#ifdef SYS_pidfd_open
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    // The pidfd turns readable when the process exits, child or not.
    for (;;) {
      if (!IsAliveNotZombie(pid)) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
      if (n > 0) break;
    }
    ::close(fd);
    return !IsAliveNotZombie(pid);
  }
#endif
  while (IsAliveNotZombie(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace skiff::compute_local
