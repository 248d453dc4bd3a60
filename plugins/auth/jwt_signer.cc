// SPDX-License-Identifier: Apache-2.0
#include "jwt_signer.h"

#include <nlohmann/json.hpp>

#include "skiff/util/base64.h"

namespace skiff::auth {

StatusOr<std::string> SignJwt(const SigningKey& key, const TokenClaims& claims) {
  try {
    const nlohmann::json header = {
        {"alg", JwsAlgName(key.alg())}, {"kid", key.kid()}, {"typ", "JWT"}};
    const nlohmann::json payload = {{"iss", claims.issuer},
                                    {"aud", claims.audience},
                                    {"iat", claims.issued_at},
                                    {"nbf", claims.not_before},
                                    {"exp", claims.expires_at}};
    std::string token = Base64Encode(header.dump(), Base64Alphabet::kUrl) + "." +
                        Base64Encode(payload.dump(), Base64Alphabet::kUrl);
    SKIFF_ASSIGN_OR_RETURN(std::string signature, key.Sign(token));
    token += ".";
    token += Base64Encode(signature, Base64Alphabet::kUrl);
    return token;
  } catch (const std::exception& e) {
    return Internal(std::string("building a token failed: ") + e.what());
  }
}

}  // namespace skiff::auth
