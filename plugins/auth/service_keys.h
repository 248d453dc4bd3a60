// SPDX-License-Identifier: Apache-2.0
// The primary and secondary keys of a key-mode service (control plane only;
// the data plane sees their digests). Where they are kept is the SDK's
// business (`<workspace>/keys/<service>.json`, sdk/src/deployment.cc).
#pragma once

#include <string>
#include <string_view>

#include "skiff/authenticator.h"
#include "skiff/status.h"

namespace skiff::auth {

enum class KeySlot { kPrimary, kSecondary };

struct ServiceKeys {
  std::string primary;
  std::string secondary;
};

// Two fresh keys (GenerateApiKey()).
StatusOr<ServiceKeys> GenerateServiceKeys();

// Replaces one slot with a fresh key, or with `given` when it is non-empty
// (ValidateGivenKey() applies). The other slot is untouched, so clients on it
// keep working while the regenerated one stops at the next Configure().
Status RegenerateKey(ServiceKeys& keys, KeySlot slot, std::string_view given = {});

// The data-plane configuration for `keys`: key mode and the two digests.
ServiceAuthConfig KeyModeConfig(const std::string& service, const ServiceKeys& keys);

}  // namespace skiff::auth
