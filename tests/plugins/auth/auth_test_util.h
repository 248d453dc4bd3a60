// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the auth tests: a temp directory, a settable clock and
// hand-made tokens for attack cases.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "default_authenticator.h"
#include "skiff/util/base64.h"
#include "temp_dir.h"

namespace skiff::auth::testing {

using ::skiff::testing::TempDir;

inline constexpr int64_t kT0 = 1'700'000'000;

// A token from raw header and payload JSON text, signed by `key` (or with
// the given raw signature when `key` is null).
inline std::string MakeToken(const std::string& header, const std::string& payload,
                             const SigningKey* key, const std::string& raw_signature = "") {
  std::string input = Base64Encode(header, Base64Alphabet::kUrl) + "." +
                      Base64Encode(payload, Base64Alphabet::kUrl);
  std::string sig = raw_signature;
  if (key != nullptr) {
    auto s = key->Sign(input);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) sig = *s;
  }
  return input + "." + Base64Encode(sig, Base64Alphabet::kUrl);
}

inline std::string Payload(const std::string& iss, const std::string& aud, int64_t iat, int64_t nbf,
                           int64_t exp) {
  return "{\"iss\":\"" + iss + "\",\"aud\":\"" + aud + "\",\"iat\":" + std::to_string(iat) +
         ",\"nbf\":" + std::to_string(nbf) + ",\"exp\":" + std::to_string(exp) + "}";
}

inline std::string Header(const std::string& alg, const std::string& kid,
                          const std::string& extra = "") {
  return "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"" + extra + "}";
}

}  // namespace skiff::auth::testing
