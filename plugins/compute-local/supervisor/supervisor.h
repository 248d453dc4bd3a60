// SPDX-License-Identifier: Apache-2.0
// skiff-supervisor's loop: runs one skiff-server for a service directory,
// restarts it with backoff when it exits unexpectedly, forwards SIGHUP, and
// on SIGTERM/SIGINT stops it (drain grace + 5 s, then SIGKILL) and returns.
// State goes to DIR/supervisor.json, log lines to stderr (the service log).
//
// The supervisor binds the service's address and port itself and hands the
// listening socket to each server it starts (fd 3, LISTEN_PID/LISTEN_FDS),
// so the port never closes while the service exists: when a server dies,
// connections made before the restart are answered 503 with Retry-After by
// the supervisor (GapResponder), and the new server accepts the rest.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "listen_socket.h"
#include "service_dir.h"
#include "supervisor/gap_responder.h"
#include "supervisor/resource_limits.h"
#include "supervisor/restart_backoff.h"
#include "supervisor/supervisor_state.h"

namespace skiff::compute_local {

struct SupervisorOptions {
  std::string service_dir;    // absolute; holds server.json
  std::string server_binary;  // absolute path to skiff-server
  std::string plugin_path;    // prepended to the server's SKIFF_PLUGIN_PATH; may be empty
  RestartBackoff::Options backoff;
};

class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options);

  // Runs until SIGTERM or SIGINT; returns the process exit code (0).
  // Preconditions: single-threaded process; SIGHUP, SIGTERM, SIGINT and
  // SIGCHLD are blocked (they are consumed with sigtimedwait). After the
  // first server start and state write, a byte is written to `ready_fd`
  // (when >= 0) and it is closed: the launcher waits for that.
  int Run(int ready_fd);

 private:
  using Clock = std::chrono::steady_clock;

  void StartServer();
  // The limits for the next server, from server.json's deployment config.
  LimitPlan PlanServerLimits();
  // Opens (or keeps) the socket for server.json's address and port.
  void HoldListenSocket();
  // What gap clients are told while no server runs, and when to retry.
  std::string GapMessage() const;
  int GapRetryAfterSeconds() const;
  // Waits up to `timeout` for signals (returned), answering gap clients.
  std::vector<int> Wait(std::chrono::milliseconds timeout);
  void OnServerExit(int wait_status);
  void ReapServer();
  void Stop();
  void WriteState();
  std::chrono::milliseconds DrainGrace() const;

  SupervisorOptions options_;
  ServiceDir dir_;
  RestartBackoff backoff_;
  SupervisorState state_;
  ListenSocket listen_;
  GapResponder gap_;
  LimitPlan limits_;           // what the running (or last) server was held to
  std::string cgroup_failed_;  // set once a server could not join the cgroup
  int signal_fd_ = -1;
  bool started_once_ = false;
  Clock::time_point server_started_{};
  Clock::time_point restart_at_{};  // meaningful while server_pid == 0
};

// Logs `line` (skiff/util/log.h): at error level when it starts with
// "error: ", warning with "warning: " (the prefix dropped), else info.
void SupervisorLog(const std::string& line);

// "exit status 1" / "killed by signal 9", and the 0-255 code for supervisor.json.
std::string DescribeWaitStatus(int wait_status);
int ExitCodeOf(int wait_status);

}  // namespace skiff::compute_local
