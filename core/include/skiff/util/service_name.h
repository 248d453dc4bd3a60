// The one rule for a service (and version) name, checked by the SDK, the
// auth plugin and both compute targets. It is Azure ML's rule -- 3 to 32
// lowercase letters, digits or '-', starting with a letter and not ending
// with '-' -- which is also a valid Kubernetes DNS-1035 label (Service names)
// with 31 characters to spare for the "-<version>" suffixes the AKS target
// appends, and a safe file name for the local target's service directory.
// Standard library only: lives in skiff_abi.
#pragma once

#include <string_view>

#include "skiff/status.h"

namespace skiff {

inline constexpr std::size_t kMinServiceNameLength = 3;
inline constexpr std::size_t kMaxServiceNameLength = 32;

// OK, or InvalidArgument naming `what` ("service name", "version name"), the
// value and the rule.
Status ValidateServiceName(std::string_view name, std::string_view what = "service name");

}  // namespace skiff
