// SPDX-License-Identifier: Apache-2.0
// Shared between report.cc and report_html.cc (not installed).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace skiff::sdk::report_internal {

// "2026-12-06T17:02:11.318Z" (fraction optional, "Z" or "+00:00") to
// milliseconds since the epoch; nullopt for anything else.
std::optional<int64_t> ParseTimeMs(std::string_view text);

}  // namespace skiff::sdk::report_internal
