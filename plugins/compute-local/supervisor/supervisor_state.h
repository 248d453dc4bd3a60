// SPDX-License-Identifier: Apache-2.0
// DIR/supervisor.json: what skiff-supervisor last recorded about itself and
// its skiff-server. Written only by the supervisor (atomically); read by the
// compute target.
#pragma once

#include <sys/types.h>

#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

struct SupervisorState {
  pid_t pid = 0;                  // the supervisor
  pid_t server_pid = 0;           // 0 while no server runs
  int restarts = 0;               // server starts after the first
  int last_exit_status = 0;       // exit code, or 128 + signal number
  std::string last_exit;          // "exit status 1", "killed by signal 9"; empty before any exit
  std::string state = "running";  // running | backoff | stopped | failed
  // How the server's resource limits are applied (LimitPlan::Describe).
  std::string limits;

  std::string ToJson() const;
  static StatusOr<SupervisorState> FromJson(const std::string& text);
};

Status WriteSupervisorState(const std::string& path, const SupervisorState& state);
// kNotFound when the file does not exist (yet).
StatusOr<SupervisorState> ReadSupervisorState(const std::string& path);

}  // namespace skiff::compute_local
