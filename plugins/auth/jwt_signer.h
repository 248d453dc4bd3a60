// SPDX-License-Identifier: Apache-2.0
// Builds compact JWS tokens (RFC 7515/7519) signed with a SigningKey.
#pragma once

#include <cstdint>
#include <string>

#include "signing_key.h"
#include "skiff/status.h"

namespace skiff::auth {

struct TokenClaims {
  std::string issuer;      // iss: the workspace
  std::string audience;    // aud: the service
  int64_t issued_at = 0;   // iat
  int64_t not_before = 0;  // nbf
  int64_t expires_at = 0;  // exp
};

// header {"alg":<key's alg>,"kid":<key's kid>,"typ":"JWT"}, payload the claims.
// Names must be ASCII (the callers validate them).
StatusOr<std::string> SignJwt(const SigningKey& key, const TokenClaims& claims);

}  // namespace skiff::auth
