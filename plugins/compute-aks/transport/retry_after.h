// SPDX-License-Identifier: Apache-2.0
// Server-requested delays: retry-after-ms and x-ms-retry-after-ms
// (milliseconds, preferred as the more precise), else Retry-After as
// delta-seconds or an HTTP date (RFC 9110 IMF-fixdate).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace skiff::compute_aks {

// The longest delay ParseRetryAfter returns; longer requests are capped.
inline constexpr std::chrono::milliseconds kMaxRetryAfter{24 * 60 * 60 * 1000};

// The delay the headers ask for (0 for a date in the past, at most
// kMaxRetryAfter); nullopt when none is present or the values are garbage.
// Header names in lower case.
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    const std::map<std::string, std::string>& headers, std::chrono::system_clock::time_point now);

// "Sun, 06 Nov 1994 08:49:37 GMT"; nullopt when not an IMF-fixdate.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(const std::string& text);

}  // namespace skiff::compute_aks
