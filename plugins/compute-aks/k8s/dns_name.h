// SPDX-License-Identifier: Apache-2.0
// Kubernetes object names: DNS-1123 labels derived from skiff names and
// checked before anything is rendered, so a bad name is refused with the
// field that produced it rather than by the API server.
#pragma once

#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff::compute_aks::k8s {

// A DNS-1123 label: 1-63 characters of [a-z0-9-], starting and ending with a
// letter or digit. `what` names the value in the error ("namespace `deploymentConfig.namespace`").
Status ValidateDns1123Label(std::string_view value, std::string_view what);

// A DNS-1035 label (Service names): a DNS-1123 label that starts with a letter.
Status ValidateDns1035Label(std::string_view value, std::string_view what);

// `value` lower-cased with every character outside [a-z0-9-] replaced by '-'
// ("Model_V1" -> "model-v1"). The result is not validated.
std::string ToLabelish(std::string_view value);

// `<base>-<suffix>` (or `base` when suffix is empty), validated as a
// DNS-1035 label; the error names `what` and the 63-character limit.
StatusOr<std::string> ObjectName(std::string_view base, std::string_view suffix,
                                 std::string_view what);

// A version's object name, `<base>-<version>`. A 32-character service name and
// a 32-character version name (both allowed) make 65 characters, past
// Kubernetes' 63: then the version part is cut and ends in 8 hex digits of a
// stable hash (FNV-1a) of the whole version label, so the name fits, keeps the
// `<base>-` prefix, and distinct versions stay distinct. Otherwise as
// ObjectName.
StatusOr<std::string> VersionObjectName(std::string_view base, std::string_view version,
                                        std::string_view what);

}  // namespace skiff::compute_aks::k8s
