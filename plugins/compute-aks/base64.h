// Standard base64 (RFC 4648 §4) decoding, for listClusterUserCredential's
// kubeconfigs[].value.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks {

// Whitespace is ignored; padding optional. DataLoss on a bad character.
StatusOr<std::string> Base64Decode(const std::string& text);

}  // namespace skiff::compute_aks
