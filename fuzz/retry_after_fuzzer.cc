// SPDX-License-Identifier: Apache-2.0
// Retry-After parsing (plugins/compute-aks transport/retry_after.h) with a fixed
// clock. The input is header lines "name: value" (names lower-cased as the
// transport does); the whole input is also tried as an HTTP date. Checks:
// no crash or UB, and a delay is never negative.
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "transport/retry_after.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  std::map<std::string, std::string> headers;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    const std::string line = input.substr(start, end - start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[name] = line.substr(colon + 1);
    }
    start = end + 1;
  }
  if (auto delay = skiff::compute_aks::ParseRetryAfter(headers, now)) {
    if (delay->count() < 0) std::abort();
  }
  (void)skiff::compute_aks::ParseHttpDate(input);
  return 0;
}
