// SPDX-License-Identifier: Apache-2.0
#include "util.h"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace skiff::store {

std::string NowIso8601() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string MapToJson(const StringMap& map) { return nlohmann::json(map).dump(); }

StringMap MapFromJson(const std::string& json) {
  auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  StringMap out;
  if (!parsed.is_object()) return out;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

Status ValidateJson(const std::string& json, const std::string& what) {
  auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidArgument(what + " is not valid JSON; fix its syntax");
  return OkStatus();
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += "'" + item + "'";
  }
  return out;
}

}  // namespace skiff::store
