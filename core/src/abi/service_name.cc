// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/service_name.h"

#include <string>

namespace skiff {

namespace {

Status ValidateName(std::string_view name, std::string_view what, std::size_t min_length,
                    std::size_t max_length) {
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  bool ok = name.size() >= min_length && name.size() <= max_length && lower(name.front()) &&
            name.back() != '-';
  for (char c : name) ok = ok && (lower(c) || (c >= '0' && c <= '9') || c == '-');
  if (ok) return OkStatus();
  return InvalidArgument(std::string(what) + " '" + std::string(name) + "' is invalid: use " +
                         std::to_string(min_length) + "-" + std::to_string(max_length) +
                         " lowercase letters, digits or '-', starting with a letter and ending "
                         "with a letter or digit");
}

}  // namespace

Status ValidateServiceName(std::string_view name, std::string_view what) {
  return ValidateName(name, what, kMinServiceNameLength, kMaxServiceNameLength);
}

Status ValidateVersionName(std::string_view name, std::string_view what) {
  return ValidateName(name, what, kMinVersionNameLength, kMaxVersionNameLength);
}

}  // namespace skiff
