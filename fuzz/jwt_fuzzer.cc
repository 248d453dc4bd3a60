// SPDX-License-Identifier: Apache-2.0
// JWT verification (plugins/auth VerifyJwt) with a fixed HS256 key set and a
// fixed clock. Two input forms, so that the payload rules are reachable
// (an HMAC cannot be guessed by mutation):
//  - anything not starting with '{': a compact token, verified as is;
//  - "<header json>\n<payload json>": encoded and signed here with key k1,
//    then verified (the header still decides alg and kid).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jwt_verifier.h"
#include "signing_key.h"
#include "signing_key_store.h"
#include "skiff/util/base64.h"

namespace {

constexpr int64_t kNow = 1'700'000'000;

const skiff::auth::SigningKeySet& Keys() {
  static const skiff::auth::SigningKeySet keys = [] {
    skiff::auth::SigningKeySet set;
    set.active_kid = "k1";
    set.keys["k1"] = skiff::auth::SigningKey::FromHmacSecret("k1", std::string(32, 'K'));
    set.keys["k2"] =
        skiff::auth::SigningKey::FromHmacSecret("k2", "another secret, 32 bytes long..");
    return set;
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string token(input);
  if (!input.empty() && input.front() == '{') {
    const size_t newline = input.find('\n');
    if (newline == std::string_view::npos) return 0;
    const std::string signing_input =
        skiff::Base64Encode(input.substr(0, newline), skiff::Base64Alphabet::kUrl) + "." +
        skiff::Base64Encode(input.substr(newline + 1), skiff::Base64Alphabet::kUrl);
    auto signature = Keys().Find("k1")->Sign(signing_input);
    if (!signature.ok()) return 0;
    token = signing_input + "." + skiff::Base64Encode(*signature, skiff::Base64Alphabet::kUrl);
  }
  skiff::auth::JwtExpectations expect;
  expect.issuer = "ws";
  expect.audience = "svc";
  expect.now = kNow;
  auto verified = skiff::auth::VerifyJwt(token, Keys(), expect);
  if (verified.ok()) {
    // Whatever passes must satisfy the documented time rules.
    if (verified->kid != "k1" && verified->kid != "k2") __builtin_trap();
    // (written so that exp = INT64_MAX cannot overflow)
    if (kNow - expect.leeway_seconds > verified->expires_at) __builtin_trap();
    if (kNow + expect.leeway_seconds < verified->not_before) __builtin_trap();
  }
  return 0;
}
