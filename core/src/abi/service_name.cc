#include "skiff/util/service_name.h"

#include <string>

namespace skiff {

Status ValidateServiceName(std::string_view name, std::string_view what) {
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  bool ok = name.size() >= kMinServiceNameLength && name.size() <= kMaxServiceNameLength &&
            lower(name.front()) && name.back() != '-';
  for (char c : name) ok = ok && (lower(c) || (c >= '0' && c <= '9') || c == '-');
  if (ok) return OkStatus();
  return InvalidArgument(std::string(what) + " '" + std::string(name) +
                         "' is invalid: use 3-32 lowercase letters, digits or '-', starting "
                         "with a letter and ending with a letter or digit");
}

}  // namespace skiff
