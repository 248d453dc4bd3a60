// SPDX-License-Identifier: Apache-2.0
#include "supervisor/supervisor_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "skiff/config/server_config.h"
#include "skiff/util/log.h"

extern char** environ;

namespace skiff::compute_local {

Status LaunchSupervisor(const LocalComputeOptions& options, const ServiceDir& dir) {
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, dir.server_log().c_str(),
                                   O_WRONLY | O_APPEND | O_CREAT, 0600);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);

  // The caller may block or ignore signals (a host's signal thread); the
  // supervisor starts from a clean slate and sets up its own.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGPIPE}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = {options.supervisor_binary, "--service-dir", dir.root, "--server",
                                   options.server_binary};
  if (!options.plugin_path.empty()) {
    args.push_back("--plugin-path");
    args.push_back(options.plugin_path);
  }
  // The supervisor logs as the service's server does (logFormat/logLevel of
  // the server.json just written), so the service log reads as one.
  if (auto config = config::ReadServerConfigFile(dir.server_json()); config.ok()) {
    args.insert(args.end(), {"--log-format", log::FormatName(config->log_format), "--log-level",
                             log::LevelName(config->log_level)});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int rc =
      ::posix_spawn(&pid, options.supervisor_binary.c_str(), &files, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Internal("cannot start " + options.supervisor_binary + ": " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Internal("skiff-supervisor for " + dir.root + " did not start (exit " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "); see " +
                    dir.server_log());
  }
  return OkStatus();
}

}  // namespace skiff::compute_local
