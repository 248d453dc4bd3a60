// Strict JSON for untrusted token segments: nlohmann's parser silently keeps
// the last of duplicate keys, which lets an attacker show one value to one
// parser and another to the next, so duplicates are refused here.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "skiff/status.h"

namespace skiff::auth {

// Parses `text` as one JSON object. Refuses invalid JSON, a top level that is
// not an object, and any object (at any depth) that repeats a key. Never throws.
StatusOr<nlohmann::json> ParseStrictJsonObject(std::string_view text);

}  // namespace skiff::auth
