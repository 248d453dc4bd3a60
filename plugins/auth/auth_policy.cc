// SPDX-License-Identifier: Apache-2.0
#include "auth_policy.h"

#include <string>

namespace skiff::auth {

namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

}  // namespace

Status ValidateWorkspaceName(std::string_view workspace) {
  if (workspace.empty() || workspace.size() > 64 || !IsAlnum(workspace[0])) {
    return InvalidArgument(
        "workspace name must be 1-64 characters of [A-Za-z0-9_-] starting "
        "with a letter or digit");
  }
  for (char c : workspace) {
    if (!IsAlnum(c) && c != '-' && c != '_') {
      return InvalidArgument("workspace name may only hold [A-Za-z0-9_-]");
    }
  }
  return OkStatus();
}

StatusOr<ServicePolicy> BuildServicePolicy(const ServiceAuthConfig& config) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(config.service));
  ServicePolicy policy;
  policy.mode = config.mode;
  const std::string where = "service '" + config.service + "': ";
  switch (config.mode) {
    case AuthMode::kNone:
    case AuthMode::kToken:
      if (!config.key_sha256_hex.empty()) {
        return InvalidArgument(where +
                               "key digests given for a service not in key mode; key and token "
                               "auth are exclusive, drop key_sha256_hex or use key mode");
      }
      return policy;
    case AuthMode::kKey:
      if (config.key_sha256_hex.empty() || config.key_sha256_hex.size() > 2) {
        return InvalidArgument(where +
                               "key mode needs 1 or 2 key digests (primary, secondary), got " +
                               std::to_string(config.key_sha256_hex.size()));
      }
      for (std::size_t i = 0; i < config.key_sha256_hex.size(); ++i) {
        auto digest = Sha256FromHex(config.key_sha256_hex[i]);
        if (!digest.ok()) {
          return InvalidArgument(where + "key_sha256_hex[" + std::to_string(i) +
                                 "]: " + digest.status().message());
        }
        policy.key_digests.push_back(*digest);
      }
      return policy;
  }
  return InvalidArgument(where + "unknown auth mode " +
                         std::to_string(static_cast<int>(config.mode)) +
                         "; use none, key or token");
}

StatusOr<std::string_view> ParseBearer(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() > kScheme.size() + kMaxCredentialBytes) {
    return Unauthenticated("Authorization header longer than " +
                           std::to_string(kScheme.size() + kMaxCredentialBytes) + " bytes");
  }
  if (authorization.empty()) return Unauthenticated("no Authorization header");
  if (authorization.size() <= kScheme.size()) {
    return Unauthenticated("Authorization header is not 'Bearer <credential>'");
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) {
      return Unauthenticated("Authorization scheme is not Bearer");
    }
  }
  const std::string_view credential = authorization.substr(kScheme.size());
  for (char c : credential) {
    if (c <= 0x20 || c >= 0x7F) {
      return Unauthenticated("Bearer credential holds a space or a non-visible character");
    }
  }
  return credential;
}

}  // namespace skiff::auth
