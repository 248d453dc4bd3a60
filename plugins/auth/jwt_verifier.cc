// SPDX-License-Identifier: Apache-2.0
// JWT verification, done here with OpenSSL rather than with libjwt.
//
// Why not libjwt (1.10.2, the Debian package): it cannot be held to skiff's
// rules without re-doing most of the work around it.
//  - jwt_decode() verifies with whatever algorithm the token's header names,
//    using the one key the caller passed: handed an RS256 public key PEM, it
//    will happily check an HS256 token with the PEM as HMAC secret (algorithm
//    confusion) unless the caller has already parsed the header itself.
//  - the key must be chosen before decoding, so picking it by `kid` means
//    parsing the header ourselves anyway.
//  - its JSON parser (jansson, loaded without JSON_REJECT_DUPLICATES) keeps
//    the last of duplicate keys; no size limit applies before parsing.
//  - 1.10 checks neither exp nor nbf (jwt_valid() came in 1.12), so there is
//    no leeway and no injectable clock either.
// What remains (base64url, two JSON objects, one signature) is small, so the
// whole path lives here and every rule below is tested in tests/plugins/auth.
//
// Rules, in order (cheap checks first; the payload is parsed only after the
// signature holds):
//  1. at most kMaxTokenBytes, exactly three '.'-separated segments;
//  2. header: strict base64url, a JSON object without duplicate keys
//     (jwt_json.h: a scanner for flat plain objects, else ParseJsonObject);
//     `crit` refused; `alg` "none" refused; `kid` required and known;
//     `alg` must equal the kid's own algorithm (pinned per key);
//     jwk/jku/x5u/x5c/x5t are never read, so they cannot pick a key;
//  3. signature: strict base64url, non-empty, checked by the kid's key
//     (HMAC compared with CRYPTO_memcmp; ES256 as raw r||s of 64 bytes);
//  4. payload: strict base64url, JSON object without duplicate keys; iss and
//     aud strings equal to the expected ones; iat, nbf, exp integers with
//     now <= exp + leeway, now >= nbf - leeway, iat <= now + leeway.
#include "jwt_verifier.h"

#include <optional>
#include <string_view>

#include "jwt_json.h"
#include "skiff/util/base64.h"

namespace skiff::auth {

namespace {

Status Reject(std::string reason) { return Unauthenticated("token refused: " + std::move(reason)); }

StatusOr<VerifiedToken> VerifyUnguarded(std::string_view token, const SigningKeySet& keys,
                                        const JwtExpectations& expect) {
  if (token.size() > kMaxTokenBytes) {
    return Reject("longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  }
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Reject("not three dot-separated segments");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  const std::string_view signing_input = token.substr(0, dot2);

  // 2. header
  const auto header_json = Base64Decode(header_b64, Base64Alphabet::kUrl);
  if (!header_json) return Reject("header is not base64url");
  // The parser's message is not echoed: it would quote the sender's keys.
  JwtObject header;
  if (!header.Parse(*header_json)) {
    return Reject("header is not one JSON object without duplicate keys");
  }
  if (header.fields().has_crit) return Reject("header has 'crit', which skiff does not support");
  const std::optional<std::string_view>& alg = header.fields().alg;
  if (!alg) return Reject("header has no string 'alg'");
  if (*alg == "none" || *alg == "None" || *alg == "NONE") return Reject("alg none");
  const std::optional<std::string_view>& kid_field = header.fields().kid;
  if (!kid_field) return Reject("header has no string 'kid'");
  const std::string_view kid = *kid_field;
  if (!IsValidKid(kid)) return Reject("kid is not of [A-Za-z0-9_-]{1,64}");
  const SigningKey* key = keys.Find(kid);
  if (key == nullptr) return Reject("unknown kid '" + std::string(kid) + "'");
  // No leeway: a revocation's grace period is the operator's, not clock skew.
  if (!keys.Verifies(kid, expect.now)) return Reject("kid '" + std::string(kid) + "' was retired");
  if (*alg != JwsAlgName(key->alg())) {
    // The header's alg is not quoted: it is attacker text bound for a log line.
    return Reject("header alg differs from kid '" + std::string(kid) + "' algorithm " +
                  JwsAlgName(key->alg()));
  }

  // 3. signature
  if (signature_b64.empty()) return Reject("empty signature");
  const auto signature = Base64Decode(signature_b64, Base64Alphabet::kUrl);
  if (!signature) return Reject("signature is not base64url");
  if (!key->Verify(signing_input, *signature)) return Reject("bad signature");

  // 4. payload
  const auto payload_json = Base64Decode(payload_b64, Base64Alphabet::kUrl);
  if (!payload_json) return Reject("payload is not base64url");
  JwtObject payload;
  if (!payload.Parse(*payload_json)) {
    return Reject("payload is not one JSON object without duplicate keys");
  }
  const JwtObjectFields& claims = payload.fields();
  if (!claims.iss || *claims.iss != expect.issuer) return Reject("wrong or missing iss");
  if (!claims.aud || *claims.aud != expect.audience) return Reject("wrong or missing aud");
  VerifiedToken out;
  out.kid = std::string(kid);
  if (!claims.exp || !claims.nbf || !claims.iat) {
    return Reject("exp, nbf and iat must be integers");
  }
  out.expires_at = *claims.exp;
  out.not_before = *claims.nbf;
  out.issued_at = *claims.iat;
  const int64_t leeway = expect.leeway_seconds;
  // Written so that no attacker-chosen value is added to (no overflow).
  if (expect.now - leeway > out.expires_at) return Reject("expired");
  if (expect.now + leeway < out.not_before) return Reject("not yet valid (nbf)");
  if (out.issued_at > expect.now + leeway) return Reject("issued in the future (iat)");
  return out;
}

}  // namespace

StatusOr<VerifiedToken> VerifyJwt(std::string_view token, const SigningKeySet& keys,
                                  const JwtExpectations& expect) {
  try {
    return VerifyUnguarded(token, keys, expect);
  } catch (const std::exception&) {
    return Reject("internal error while verifying");
  }
}

}  // namespace skiff::auth
