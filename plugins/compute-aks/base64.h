// The base64 values Azure and kubeconfigs hand us (listClusterUserCredential's
// kubeconfigs[].value, a kubeconfig's `*-data`): standard alphabet, decoded
// by the core's strict codec (skiff/util/base64.h) once ASCII whitespace is
// removed, because a YAML value folded over lines arrives with spaces in it.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks {

// DataLoss when what is left is not canonical padded base64.
StatusOr<std::string> DecodeBase64Value(const std::string& text);

}  // namespace skiff::compute_aks
