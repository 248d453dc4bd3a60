// SPDX-License-Identifier: Apache-2.0
// API keys for key-mode services: generation and the digests the data plane
// holds instead of the keys.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff::auth {

// Random bytes per generated key: 256 bits.
inline constexpr std::size_t kApiKeyBytes = 32;
// A key given by an operator must be at least this long.
inline constexpr std::size_t kMinGivenKeyChars = 32;
// Longest credential the data plane will look at (keys and tokens alike).
inline constexpr std::size_t kMaxCredentialBytes = 8192;

using Sha256Digest = std::array<uint8_t, 32>;

// A fresh key: kApiKeyBytes from OpenSSL RAND_bytes, URL-safe base64 without
// padding (43 characters). Fails only if the CSPRNG does.
StatusOr<std::string> GenerateApiKey();

// Checks a key an operator wants to set: >= kMinGivenKeyChars printable
// ASCII characters without spaces, at most kMaxCredentialBytes.
Status ValidateGivenKey(std::string_view key);

Sha256Digest Sha256(std::string_view data);
std::string ToHex(const Sha256Digest& digest);
// Parses 64 lower-case hex characters.
StatusOr<Sha256Digest> Sha256FromHex(std::string_view hex);

}  // namespace skiff::auth
