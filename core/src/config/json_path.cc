// SPDX-License-Identifier: Apache-2.0
#include "json_path.h"

namespace skiff::config::internal {
namespace {

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

std::string MemberPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (IsIdentifier(key)) {
    // An options object read from "" (a plugin's create() options) names
    // its members bare: `agentCount`, not `.agentCount`.
    if (!path.empty()) path += '.';
    path += key;
  } else {
    // dump() escapes quotes and control characters, so the path stays one line.
    path += '[' + nlohmann::json(std::string(key)).dump() + ']';
  }
  return path;
}

std::string IndexPath(std::string_view parent, size_t index) {
  return std::string(parent) + '[' + std::to_string(index) + ']';
}

std::string JsonTypeName(const nlohmann::json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "number";
  return value.type_name();
}

}  // namespace skiff::config::internal
