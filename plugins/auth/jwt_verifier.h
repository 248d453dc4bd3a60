// SPDX-License-Identifier: Apache-2.0
// Verifies compact JWS tokens against a workspace's SigningKeySet under
// skiff's rules (see jwt_verifier.cc for the list and why not libjwt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "signing_key_store.h"
#include "skiff/status.h"

namespace skiff::auth {

// Longer tokens are refused before any decoding.
inline constexpr std::size_t kMaxTokenBytes = 8192;

struct JwtExpectations {
  std::string_view issuer;    // iss must equal it
  std::string_view audience;  // aud must equal it (a string, not an array)
  int64_t now = 0;            // Unix seconds
  int64_t leeway_seconds = 60;
};

struct VerifiedToken {
  std::string kid;
  int64_t issued_at = 0;
  int64_t not_before = 0;
  int64_t expires_at = 0;
};

// OK with the token's facts, or kUnauthenticated with a reason for logs that
// never quotes the token. Never throws.
// Threading: may be called concurrently (it only reads `keys`).
StatusOr<VerifiedToken> VerifyJwt(std::string_view token, const SigningKeySet& keys,
                                  const JwtExpectations& expect);

}  // namespace skiff::auth
