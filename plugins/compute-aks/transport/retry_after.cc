// SPDX-License-Identifier: Apache-2.0
#include "transport/retry_after.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>

namespace skiff::compute_aks {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// A non-negative decimal integer of sane size, nothing else.
std::optional<long long> ParseCount(const std::string& raw) {
  const std::string s = Trim(raw);
  if (s.empty() || s.size() > 12) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stoll(s);
}

std::optional<std::chrono::milliseconds> Header(const std::map<std::string, std::string>& headers,
                                                const char* name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  auto ms = ParseCount(it->second);
  if (!ms) return std::nullopt;
  return std::chrono::milliseconds(*ms);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(const std::string& raw) {
  const std::string text = Trim(raw);
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const time_t t = ::timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  // system_clock counts nanoseconds: about +-292 years around 1970. A date
  // outside that (year 1000, 3000) is garbage, and converting it would
  // overflow (found by fuzz/retry_after_fuzzer.cc).
  constexpr auto kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max())
          .count();
  if (t > kLimit || t < -kLimit) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    const std::map<std::string, std::string>& headers, std::chrono::system_clock::time_point now) {
  // Callers add the delay to system_clock's nanosecond time: a day at most,
  // so that cannot overflow (33333333223 s did: fuzz/arm_operation), and
  // still longer than any deadline we wait for.
  const auto capped = [](std::chrono::milliseconds d) { return std::min(d, kMaxRetryAfter); };
  if (auto ms = Header(headers, "retry-after-ms")) return capped(*ms);
  if (auto ms = Header(headers, "x-ms-retry-after-ms")) return capped(*ms);
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  if (auto seconds = ParseCount(it->second)) {
    return capped(std::chrono::milliseconds(*seconds * 1000));
  }
  if (auto date = ParseHttpDate(it->second)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*date - now);
    return capped(std::max(left, std::chrono::milliseconds(0)));
  }
  return std::nullopt;
}

}  // namespace skiff::compute_aks
