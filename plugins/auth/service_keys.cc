#include "service_keys.h"

#include <nlohmann/json.hpp>

#include "api_key.h"
#include "auth_policy.h"
#include "secure_file.h"
#include "skiff/config/json_reader.h"

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

std::string ServiceKeyFiles::PathFor(const std::string& service) const {
  return dir_ + "/" + service + ".keys.json";
}

Status ServiceKeyFiles::Write(const std::string& service, const ServiceKeys& keys) const {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(service));
  SKIFF_RETURN_IF_ERROR(ValidateGivenKey(keys.primary).WithContext("primaryKey"));
  SKIFF_RETURN_IF_ERROR(ValidateGivenKey(keys.secondary).WithContext("secondaryKey"));
  SKIFF_RETURN_IF_ERROR(EnsurePrivateDirectory(dir_));
  const nlohmann::json doc = {{"primaryKey", keys.primary}, {"secondaryKey", keys.secondary}};
  return WriteSecretFileAtomically(PathFor(service), doc.dump(2) + "\n");
}

StatusOr<ServiceKeys> ServiceKeyFiles::Read(const std::string& service) const {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(service));
  const std::string path = PathFor(service);
  SKIFF_ASSIGN_OR_RETURN(std::string text, ReadSecretFile(path));
  auto doc = config::ParseJsonObject(text, "keys file");
  if (!doc.ok()) return DataLoss(path + ": " + doc.status().message());
  const auto p = doc->find("primaryKey");
  const auto s = doc->find("secondaryKey");
  if (p == doc->end() || s == doc->end() || !p->is_string() || !s->is_string()) {
    return DataLoss(path + ": primaryKey and secondaryKey must be strings");
  }
  return ServiceKeys{p->get<std::string>(), s->get<std::string>()};
}

}  // namespace skiff::auth
