// SPDX-License-Identifier: Apache-2.0
#include "service_keys.h"

#include <nlohmann/json.hpp>

#include "api_key.h"
#include "auth_policy.h"

namespace skiff::auth {

StatusOr<ServiceKeys> GenerateServiceKeys() {
  ServiceKeys keys;
  SKIFF_ASSIGN_OR_RETURN(keys.primary, GenerateApiKey());
  SKIFF_ASSIGN_OR_RETURN(keys.secondary, GenerateApiKey());
  return keys;
}

Status RegenerateKey(ServiceKeys& keys, KeySlot slot, std::string_view given) {
  std::string value;
  if (given.empty()) {
    SKIFF_ASSIGN_OR_RETURN(value, GenerateApiKey());
  } else {
    SKIFF_RETURN_IF_ERROR(ValidateGivenKey(given));
    value = std::string(given);
  }
  (slot == KeySlot::kPrimary ? keys.primary : keys.secondary) = std::move(value);
  return OkStatus();
}

ServiceAuthConfig KeyModeConfig(const std::string& service, const ServiceKeys& keys) {
  ServiceAuthConfig config;
  config.service = service;
  config.mode = AuthMode::kKey;
  config.key_sha256_hex = {ToHex(Sha256(keys.primary)), ToHex(Sha256(keys.secondary))};
  return config;
}

}  // namespace skiff::auth
