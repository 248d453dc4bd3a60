// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/load_report.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

namespace skiff {

std::string SerializeLoadReport(const std::vector<VersionLoad>& load) {
  nlohmann::json versions = nlohmann::json::array();
  for (const VersionLoad& v : load) {
    versions.push_back({{"version", v.version},
                        {"requests", v.requests},
                        {"serverErrors", v.server_errors},
                        {"seconds", v.seconds}});
  }
  return nlohmann::json{{"versions", versions}}.dump();
}

StatusOr<std::vector<VersionLoad>> ParseLoadReport(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("versions") || !j["versions"].is_array()) {
    return DataLoss("load report: expected {\"versions\": [...]}, got something else");
  }
  std::vector<VersionLoad> out;
  for (const nlohmann::json& v : j["versions"]) {
    const auto count = [&](const char* key) -> std::optional<int64_t> {
      if (!v.is_object() || !v.contains(key) || !v[key].is_number_integer()) return std::nullopt;
      const int64_t n = v[key].get<int64_t>();
      return n < 0 ? std::nullopt : std::optional<int64_t>(n);
    };
    const auto requests = count("requests"), errors = count("serverErrors"),
               seconds = count("seconds");
    if (!v.is_object() || !v.contains("version") || !v["version"].is_string() || !requests ||
        !errors || !seconds) {
      return DataLoss("load report: versions[" + std::to_string(out.size()) +
                      "] needs \"version\" (string), \"requests\", \"serverErrors\" and "
                      "\"seconds\" (integers >= 0)");
    }
    out.push_back({v["version"].get<std::string>(), *requests, *errors,
                   static_cast<int32_t>(std::min<int64_t>(*seconds, 1 << 30))});
  }
  return out;
}

}  // namespace skiff
