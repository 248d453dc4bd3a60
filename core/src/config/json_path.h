// SPDX-License-Identifier: Apache-2.0
// JSONPath-style names for config values ("$.autoScaler.minReplicas",
// "$.inputs[0].shape[1]", "$.tags[\"team name\"]") so that every config error
// says exactly where it is.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace skiff::config::internal {

// The document root.
inline constexpr char kRootPath[] = "$";

// `parent.key`, or `parent["key"]` when the key is not a plain identifier.
std::string MemberPath(std::string_view parent, std::string_view key);

// `parent[index]`.
std::string IndexPath(std::string_view parent, size_t index);

// The type of `value` as an error message names it: "object", "array",
// "string", "boolean", "null", "integer" (integral numbers) or "number".
std::string JsonTypeName(const nlohmann::json& value);

}  // namespace skiff::config::internal
