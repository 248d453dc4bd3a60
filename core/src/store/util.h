// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the store's .cc files.
#pragma once

#include <string>
#include <vector>

#include "skiff/status.h"
#include "skiff/store/records.h"

namespace skiff::store {

// Current time as ISO-8601 UTC ("2024-05-01T12:00:00.123Z").
std::string NowIso8601();
// A string map as a JSON object, and back (non-object or bad JSON: empty map).
std::string MapToJson(const StringMap& map);
StringMap MapFromJson(const std::string& json);
// InvalidArgument unless `json` parses; `what` names the field.
Status ValidateJson(const std::string& json, const std::string& what);
// "'a', 'b'"
std::string QuotedList(const std::vector<std::string>& items);

}  // namespace skiff::store
