// SPDX-License-Identifier: Apache-2.0
#include "supervisor/restart_history.h"

#include <nlohmann/json.hpp>

#include "file_util.h"
#include "skiff/util/atomic_file.h"

namespace skiff::compute_local {

using nlohmann::json;

std::string RestartHistory::ToJson() const {
  return json{{"revivals", revivals}, {"serverRestarts", server_restarts}}.dump(2) + "\n";
}

StatusOr<RestartHistory> RestartHistory::FromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("restarts.json is not a JSON object");
  RestartHistory h;
  try {
    h.revivals = j.value("revivals", 0);
    h.server_restarts = j.value("serverRestarts", 0);
  } catch (const json::exception& e) {
    return DataLoss(std::string("restarts.json has a field of the wrong type: ") + e.what());
  }
  return h;
}

StatusOr<RestartHistory> ReadRestartHistory(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return RestartHistory{};
  return RestartHistory::FromJson(*text);
}

Status WriteRestartHistory(const std::string& path, const RestartHistory& history) {
  return WriteFileAtomically(path, history.ToJson(), 0600);
}

}  // namespace skiff::compute_local
