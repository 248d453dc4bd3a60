// SPDX-License-Identifier: Apache-2.0
// skiff's rules on what a request and a service configuration must look like:
// the `Authorization` header grammar, names, and the per-service policy the
// data plane checks against.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "api_key.h"
#include "skiff/authenticator.h"
#include "skiff/status.h"
#include "skiff/util/service_name.h"

namespace skiff::auth {

// What one service accepts, immutable once built (shared by readers).
struct ServicePolicy {
  // Distinct for every policy a KeyDigestStore installs, across services and
  // never reused: a cached token verified under one Configure() of one
  // service matches no other (token_cache.h). Set by KeyDigestStore::Put().
  uint64_t generation = 0;
  AuthMode mode = AuthMode::kKey;
  std::vector<Sha256Digest> key_digests;  // key mode: 1 or 2
};

// Validates `config` (name, mode, digests; key and token exclusive) and
// builds the policy. Messages name the field and never contain a key.
StatusOr<ServicePolicy> BuildServicePolicy(const ServiceAuthConfig& config);

// Workspace names: 1..64 of [A-Za-z0-9_-], starting with a letter or digit.
Status ValidateWorkspaceName(std::string_view workspace);

// Extracts the credential from an `Authorization` value of the form
// `Bearer <credential>`: scheme case-insensitive, exactly one space, a
// non-empty credential of visible ASCII of at most kMaxCredentialBytes.
// The length is checked before anything else. Errors never quote the value.
StatusOr<std::string_view> ParseBearer(std::string_view authorization);

}  // namespace skiff::auth
