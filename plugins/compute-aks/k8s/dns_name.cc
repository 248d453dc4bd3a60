// SPDX-License-Identifier: Apache-2.0
#include "k8s/dns_name.h"

#include <cstdint>

namespace skiff::compute_aks::k8s {
namespace {

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

Status ValidateDns1123Label(std::string_view value, std::string_view what) {
  bool ok = !value.empty() && value.size() <= 63 && IsAlnum(value.front()) && IsAlnum(value.back());
  for (char c : value) ok = ok && (IsAlnum(c) || c == '-');
  if (ok) return OkStatus();
  return InvalidArgument(std::string(what) + " '" + std::string(value) +
                         "' is not a valid Kubernetes name: use 1-63 lowercase letters, digits "
                         "or '-', starting and ending with a letter or digit");
}

Status ValidateDns1035Label(std::string_view value, std::string_view what) {
  SKIFF_RETURN_IF_ERROR(ValidateDns1123Label(value, what));
  if (value.front() >= 'a' && value.front() <= 'z') return OkStatus();
  return InvalidArgument(std::string(what) + " '" + std::string(value) +
                         "' is not a valid Kubernetes Service name: it must start with a letter");
}

std::string ToLabelish(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += IsAlnum(c) ? c : '-';
  }
  return out;
}

StatusOr<std::string> ObjectName(std::string_view base, std::string_view suffix,
                                 std::string_view what) {
  std::string name(base);
  if (!suffix.empty()) name += "-" + std::string(suffix);
  if (name.size() > 63) {
    return InvalidArgument(std::string(what) + " '" + name + "' is " + std::to_string(name.size()) +
                           " characters; Kubernetes names are at most 63: shorten the service "
                           "or version name");
  }
  SKIFF_RETURN_IF_ERROR(ValidateDns1035Label(name, what));
  return name;
}

StatusOr<std::string> VersionObjectName(std::string_view base, std::string_view version,
                                        std::string_view what) {
  constexpr std::size_t kMaxName = 63;
  constexpr std::size_t kHashDigits = 8;
  // Room for the version after "<base>-"; a base so long that even the hash
  // does not fit is left to ObjectName's refusal.
  const std::size_t room = base.size() + 1 < kMaxName ? kMaxName - base.size() - 1 : 0;
  if (version.size() <= room || room < kHashDigits + 2) return ObjectName(base, version, what);
  uint32_t hash = 2166136261u;  // FNV-1a: the same on every build and host.
  for (char c : version) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digits(kHashDigits, '0');
  for (std::size_t i = 0; i < kHashDigits; ++i)
    digits[kHashDigits - 1 - i] = kHex[(hash >> (4 * i)) & 0xf];
  std::string cut(version.substr(0, room - kHashDigits - 1));
  while (!cut.empty() && cut.back() == '-') cut.pop_back();
  return ObjectName(base, cut.empty() ? digits : cut + "-" + digits, what);
}

}  // namespace skiff::compute_aks::k8s
