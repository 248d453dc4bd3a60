// SPDX-License-Identifier: Apache-2.0
// SigningKey: one JWS key of a workspace with its `kid` and its own algorithm
// (HS256: 256-bit random secret; RS256: RSA 2048; ES256: P-256). The
// algorithm belongs to the key, not to a token: a verifier asks the key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "skiff/status.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace skiff::auth {

enum class JwsAlg { kHS256, kRS256, kES256 };

const char* JwsAlgName(JwsAlg alg);
// Accepts exactly "HS256", "RS256", "ES256"; "none" and anything else fail.
StatusOr<JwsAlg> ParseJwsAlg(std::string_view name);

class SigningKey {
 public:
  // A fresh key with a fresh random kid (22 URL-safe characters).
  static StatusOr<std::shared_ptr<const SigningKey>> Generate(JwsAlg alg, int64_t created_at);
  // Parses the keys-file form written by ToKeyFileJson().
  static StatusOr<std::shared_ptr<const SigningKey>> FromKeyFileJson(std::string_view text);
  // An HMAC key from raw secret bytes (tests build attack tokens with it).
  static std::shared_ptr<const SigningKey> FromHmacSecret(std::string kid, std::string secret);

  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const std::string& kid() const { return kid_; }
  JwsAlg alg() const { return alg_; }
  int64_t created_at() const { return created_at_; }

  // The JWS signature of `signing_input` (ES256: raw r||s, 64 bytes).
  // Threading: may be called concurrently.
  StatusOr<std::string> Sign(std::string_view signing_input) const;
  // True when `signature` is this key's JWS signature of `signing_input`.
  // Threading: hot path, may be called concurrently.
  bool Verify(std::string_view signing_input, std::string_view signature) const;

  // SubjectPublicKeyInfo PEM of an RS256/ES256 key; fails for HS256.
  StatusOr<std::string> PublicKeyPem() const;
  // Secret material for the 0600 keys file only; never log it.
  StatusOr<std::string> ToKeyFileJson() const;

 private:
  SigningKey(std::string kid, JwsAlg alg, int64_t created_at);
  // HS256: sets hmac_secret_ and the context keyed with it.
  void SetHmacSecret(std::string secret);
  // HS256: HMAC-SHA256 of `input` into `mac` (32 bytes); false on an OpenSSL failure.
  bool Hmac(std::string_view input, unsigned char* mac, std::size_t* len) const;

  std::string kid_;
  JwsAlg alg_;
  int64_t created_at_ = 0;
  std::string hmac_secret_;   // HS256
  // HS256: an HMAC-SHA256 context keyed with hmac_secret_, never updated:
  // each Sign/Verify copies it (EVP_MAC_CTX_dup only reads it, so threads
  // may copy it at once). Null if OpenSSL could not make it: HMAC() then.
  EVP_MAC_CTX* hmac_keyed_ = nullptr;  // owned, freed in the destructor
  EVP_PKEY* pkey_ = nullptr;  // RS256, ES256; owned, freed in the destructor
};

}  // namespace skiff::auth
