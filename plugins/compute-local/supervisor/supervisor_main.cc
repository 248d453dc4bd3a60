// SPDX-License-Identifier: Apache-2.0
// skiff-supervisor: keeps one service's skiff-server running.
//   skiff-supervisor --service-dir DIR --server BIN [--plugin-path P] [--foreground]
//                    [--log-format text|json] [--log-level debug|info|warning|error]
// Detaches (fork + setsid; the launching parent exits once DIR/supervisor.pid
// is written and the server has been started), logs to DIR/logs/server.log,
// and runs until SIGTERM/SIGINT. See docs/compute-local.md.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "file_util.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/log.h"
#include "supervisor/supervisor.h"

namespace {

using skiff::compute_local::SupervisorLog;

constexpr char kUsage[] =
    "usage: skiff-supervisor --service-dir DIR --server BIN [--plugin-path P] [--foreground] "
    "[--log-format text|json] [--log-level debug|info|warning|error]";

int Usage(const std::string& error) {
  skiff::log::Error(error + "; " + kUsage);
  return 2;
}

// Inherited descriptors (the CLI's sockets, a test's pipes) must not live on
// in a daemon or leak into the server.
void CloseInheritedFds() {
  std::vector<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) {
      const int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != ::dirfd(d)) fds.push_back(fd);
    }
    ::closedir(d);
  }
  for (int fd : fds) ::close(fd);
}

std::string Absolute(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

}  // namespace

int main(int argc, char** argv) {
  skiff::log::Configure("skiff-supervisor", skiff::log::Format::kText, skiff::log::Level::kInfo);
  skiff::compute_local::SupervisorOptions options;
  bool foreground = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--service-dir" && i + 1 < argc) {
      options.service_dir = argv[++i];
    } else if (a == "--server" && i + 1 < argc) {
      options.server_binary = argv[++i];
    } else if (a == "--plugin-path" && i + 1 < argc) {
      options.plugin_path = argv[++i];
    } else if (a == "--foreground") {
      foreground = true;
    } else if (a == "--log-format" && i + 1 < argc) {
      auto format = skiff::log::ParseFormat(argv[++i]);
      if (!format) return Usage(std::string("--log-format takes text or json, not '") + argv[i] + "'");
      skiff::log::SetFormat(*format);
    } else if (a == "--log-level" && i + 1 < argc) {
      auto level = skiff::log::ParseLevel(argv[++i]);
      if (!level) {
        return Usage(std::string("--log-level takes debug, info, warning or error, not '") +
                     argv[i] + "'");
      }
      skiff::log::SetLevel(*level);
    } else if (a == "--help" || a == "-h") {
      std::printf(
          "%s\n"
          "Runs BIN --config DIR/server.json and restarts it with backoff; see "
          "docs/compute-local.md.\n"
          "Log lines: RFC 3339 UTC timestamp, level, message (docs/logging.md).\n",
          kUsage);
      return 0;
    } else {
      return Usage("unknown argument '" + a + "'");
    }
  }
  if (options.service_dir.empty()) return Usage("--service-dir is required");
  if (options.server_binary.empty()) return Usage("--server is required");
  options.service_dir = Absolute(options.service_dir);
  options.server_binary = Absolute(options.server_binary);
  const skiff::compute_local::ServiceDir dir(options.service_dir);

  CloseInheritedFds();
  int ready_pipe[2] = {-1, -1};
  if (!foreground) {
    if (::pipe2(ready_pipe, O_CLOEXEC) != 0) return Usage(std::strerror(errno));
    const pid_t child = ::fork();
    if (child < 0) return Usage(std::string("fork: ") + std::strerror(errno));
    if (child > 0) {
      // The launcher reaps us; exit 0 only once the daemon is up.
      ::close(ready_pipe[1]);
      char byte = 0;
      ssize_t n;
      while ((n = ::read(ready_pipe[0], &byte, 1)) < 0 && errno == EINTR) {
      }
      ::_exit(n == 1 ? 0 : 1);
    }
    ::close(ready_pipe[0]);
    ::setsid();
  }

  ::umask(077);
  ::mkdir(dir.logs_dir().c_str(), 0700);
  // O_NOFOLLOW: a link planted as the log is refused, not written through or chmod'ed.
  const int log = ::open(dir.server_log().c_str(),
                         O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (log >= 0) {
    ::fchmod(log, 0600);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::close(log);
  } else {
    skiff::log::Error("cannot open " + dir.server_log() + ": " + std::strerror(errno));
    return 1;
  }
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  if (::chdir("/") != 0) {
    // Not fatal: every path is absolute already.
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  skiff::Status pid_written = skiff::WriteFileAtomically(
      dir.supervisor_pid(), std::to_string(::getpid()) + "\n", 0600);
  if (!pid_written.ok()) {
    SupervisorLog("error: " + pid_written.message());
    return 1;
  }
  skiff::compute_local::Supervisor supervisor(options);
  return supervisor.Run(ready_pipe[1]);
}
