// SPDX-License-Identifier: Apache-2.0
// Model names and "name:version" ids.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "skiff/status.h"

namespace skiff::store {

// OK when `name` is 1-255 chars of letters, digits, '-', '_', '.', starting
// with a letter or digit; otherwise InvalidArgument naming the rule.
Status ValidateModelName(const std::string& name);

// OK when a model's stored `file_name` is one plain path component (not
// empty, ".", "..", and without '/' or NUL), so `model download` writes and
// replaces only `<target dir>/<file_name>`. A row changed behind skiff's back
// (`../../x`, `/etc/x`) is DataLoss naming the model and the fix.
Status ValidateModelFileName(const std::string& model_id, const std::string& file_name);

// Parses "name:version" (or "name", meaning latest, version 0).
// InvalidArgument when the version is not a positive integer.
StatusOr<std::pair<std::string, int64_t>> ParseModelId(const std::string& id);

}  // namespace skiff::store
