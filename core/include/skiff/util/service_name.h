// SPDX-License-Identifier: Apache-2.0
// The one rule for a service name (and, 1 character shorter at minimum, for an
// endpoint version name), checked by the SDK, the
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

// OK, or InvalidArgument naming `what` ("service name"), the value and the
// rule.
Status ValidateServiceName(std::string_view name, std::string_view what = "service name");

// An endpoint version's name: Azure ML's AksEndpoint rule, the service rule
// with the minimum lowered to 1 character ("v1"). Still a DNS-1035 label, so
// the AKS target can append it to the service name (it shortens
// `<service>-<version>` past Kubernetes' 63 characters; see
// plugins/compute-aks/k8s/dns_name.h).
inline constexpr std::size_t kMinVersionNameLength = 1;
inline constexpr std::size_t kMaxVersionNameLength = 32;

// OK, or InvalidArgument naming `what` (e.g. "--version-name"), the value and
// the rule.
Status ValidateVersionName(std::string_view name, std::string_view what = "version name");

}  // namespace skiff
