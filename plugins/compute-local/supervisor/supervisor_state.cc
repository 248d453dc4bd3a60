// SPDX-License-Identifier: Apache-2.0
#include "supervisor/supervisor_state.h"

#include <nlohmann/json.hpp>

#include "file_util.h"
#include "skiff/util/atomic_file.h"

namespace skiff::compute_local {

using nlohmann::json;

std::string SupervisorState::ToJson() const {
  return json{{"pid", pid},
              {"serverPid", server_pid},
              {"restarts", restarts},
              {"lastExitStatus", last_exit_status},
              {"lastExit", last_exit},
              {"state", state},
              {"limits", limits}}
             .dump(2) +
         "\n";
}

StatusOr<SupervisorState> SupervisorState::FromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("supervisor.json is not a JSON object");
  SupervisorState s;
  try {
    s.pid = j.value("pid", 0);
    s.server_pid = j.value("serverPid", 0);
    s.restarts = j.value("restarts", 0);
    s.last_exit_status = j.value("lastExitStatus", 0);
    s.last_exit = j.value("lastExit", "");
    s.state = j.value("state", "running");
    s.limits = j.value("limits", "");
  } catch (const json::exception& e) {
    return DataLoss(std::string("supervisor.json has a field of the wrong type: ") + e.what());
  }
  return s;
}

Status WriteSupervisorState(const std::string& path, const SupervisorState& state) {
  return WriteFileAtomically(path, state.ToJson(), 0600);
}

StatusOr<SupervisorState> ReadSupervisorState(const std::string& path) {
  SKIFF_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return SupervisorState::FromJson(text);
}

}  // namespace skiff::compute_local
