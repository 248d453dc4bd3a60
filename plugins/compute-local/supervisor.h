// skiff-supervisor's loop: runs one skiff-server for a service directory,
// restarts it with backoff when it exits unexpectedly, forwards SIGHUP, and
// on SIGTERM/SIGINT stops it (drain grace + 5 s, then SIGKILL) and returns.
// State goes to DIR/supervisor.json, log lines to stderr (the service log).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "restart_backoff.h"
#include "service_dir.h"
#include "supervisor_state.h"

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
  void OnServerExit(int wait_status);
  void ReapServer();
  void Stop();
  void WriteState();
  std::chrono::milliseconds DrainGrace() const;

  SupervisorOptions options_;
  ServiceDir dir_;
  RestartBackoff backoff_;
  SupervisorState state_;
  bool started_once_ = false;
  Clock::time_point server_started_{};
  Clock::time_point restart_at_{};  // meaningful while server_pid == 0
};

// Appends "skiff-supervisor: <line>" to stderr.
void SupervisorLog(const std::string& line);

// "exit status 1" / "killed by signal 9", and the 0-255 code for supervisor.json.
std::string DescribeWaitStatus(int wait_status);
int ExitCodeOf(int wait_status);

}  // namespace skiff::compute_local
