// SPDX-License-Identifier: Apache-2.0
#include "signing_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "skiff/config/json_reader.h"
#include "skiff/util/base64.h"

namespace skiff::auth {

namespace {

constexpr std::size_t kHmacSecretBytes = 32;
constexpr std::size_t kEs256CoordBytes = 32;

struct Deleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;

// OpenSSL's one-shot HMAC() (EVP_Q_mac) fetches the HMAC and SHA-256
// implementations and keys a fresh context on every call: under callgrind
// that was ~99 % of SigningKey::Verify and ~40 % of an HS256 token check
// (build/bin/skiff_bench_auth, issue 20 eighth session). A context keyed once per key
// is copied per call instead.
EVP_MAC_CTX* NewKeyedHmacSha256(const std::string& secret) {
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (kHmac == nullptr) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(kHmac);
  if (ctx == nullptr) return nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

StatusOr<std::string> RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Internal("RAND_bytes failed");
  }
  return out;
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// DER ECDSA-Sig-Value -> JWS r||s (RFC 7518 §3.4).
StatusOr<std::string> DerToRaw(const unsigned char* der, std::size_t len) {
  const unsigned char* p = der;
  Ptr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return Internal("ECDSA signature is not DER");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kEs256CoordBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kEs256CoordBytes) < 0 ||
      BN_bn2binpad(s, o + kEs256CoordBytes, kEs256CoordBytes) < 0) {
    return Internal("ECDSA signature does not fit P-256");
  }
  return out;
}

// JWS r||s -> DER, or empty when it cannot be a valid P-256 signature.
std::string RawToDer(std::string_view raw) {
  if (raw.size() != 2 * kEs256CoordBytes) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  Ptr<BIGNUM> r(BN_bin2bn(p, kEs256CoordBytes, nullptr));
  Ptr<BIGNUM> s(BN_bin2bn(p + kEs256CoordBytes, kEs256CoordBytes, nullptr));
  // r = 0 or s = 0 is never valid (CVE-2022-21449 class); refuse before OpenSSL.
  if (!r || !s || BN_is_zero(r.get()) || BN_is_zero(s.get())) return {};
  Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  r.release();  // now owned by sig
  s.release();
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

const char* JwsAlgName(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kHS256:
      return "HS256";
    case JwsAlg::kRS256:
      return "RS256";
    case JwsAlg::kES256:
      return "ES256";
  }
  return "?";
}

StatusOr<JwsAlg> ParseJwsAlg(std::string_view name) {
  if (name == "HS256") return JwsAlg::kHS256;
  if (name == "RS256") return JwsAlg::kRS256;
  if (name == "ES256") return JwsAlg::kES256;
  return InvalidArgument("algorithm must be HS256, RS256 or ES256");
}

SigningKey::SigningKey(std::string kid, JwsAlg alg, int64_t created_at)
    : kid_(std::move(kid)), alg_(alg), created_at_(created_at) {}

SigningKey::~SigningKey() {
  if (!hmac_secret_.empty()) OPENSSL_cleanse(hmac_secret_.data(), hmac_secret_.size());
  EVP_MAC_CTX_free(hmac_keyed_);  // HMAC's provider clears the key it holds
  EVP_PKEY_free(pkey_);
}

void SigningKey::SetHmacSecret(std::string secret) {
  hmac_secret_ = std::move(secret);
  EVP_MAC_CTX_free(hmac_keyed_);
  hmac_keyed_ = NewKeyedHmacSha256(hmac_secret_);
}

bool SigningKey::Hmac(std::string_view input, unsigned char* mac, std::size_t* len) const {
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (hmac_keyed_ != nullptr) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(hmac_keyed_);
    const bool ok = ctx != nullptr && EVP_MAC_update(ctx, in, input.size()) == 1 &&
                    EVP_MAC_final(ctx, mac, len, EVP_MAX_MD_SIZE) == 1;
    EVP_MAC_CTX_free(ctx);
    if (ok) return true;
  }
  unsigned int n = 0;
  if (HMAC(EVP_sha256(), hmac_secret_.data(), static_cast<int>(hmac_secret_.size()), in,
           input.size(), mac, &n) == nullptr) {
    return false;
  }
  *len = n;
  return true;
}

StatusOr<std::shared_ptr<const SigningKey>> SigningKey::Generate(JwsAlg alg, int64_t created_at) {
  SKIFF_ASSIGN_OR_RETURN(std::string kid_bytes, RandomBytes(16));
  std::shared_ptr<SigningKey> key(
      new SigningKey(Base64Encode(kid_bytes, Base64Alphabet::kUrl), alg, created_at));
  switch (alg) {
    case JwsAlg::kHS256: {
      SKIFF_ASSIGN_OR_RETURN(std::string secret, RandomBytes(kHmacSecretBytes));
      key->SetHmacSecret(std::move(secret));
      break;
    }
    case JwsAlg::kRS256:
      key->pkey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case JwsAlg::kES256:
      key->pkey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
  }
  if (alg != JwsAlg::kHS256 && key->pkey_ == nullptr) {
    return Internal(std::string("OpenSSL could not generate a ") + JwsAlgName(alg) + " key");
  }
  return std::shared_ptr<const SigningKey>(std::move(key));
}

std::shared_ptr<const SigningKey> SigningKey::FromHmacSecret(std::string kid, std::string secret) {
  std::shared_ptr<SigningKey> key(new SigningKey(std::move(kid), JwsAlg::kHS256, 0));
  key->SetHmacSecret(std::move(secret));
  return key;
}

StatusOr<std::shared_ptr<const SigningKey>> SigningKey::FromKeyFileJson(std::string_view text) {
  SKIFF_ASSIGN_OR_RETURN(nlohmann::json doc, config::ParseJsonObject(text, "signing key file"));
  auto str = [&](const char* field) -> const std::string* {
    auto it = doc.find(field);
    return (it != doc.end() && it->is_string()) ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* kid = str("kid");
  const std::string* alg_name = str("alg");
  if (kid == nullptr || kid->empty() || alg_name == nullptr) {
    return DataLoss("signing key file needs string fields kid and alg");
  }
  SKIFF_ASSIGN_OR_RETURN(JwsAlg alg, ParseJwsAlg(*alg_name));
  int64_t created_at = 0;
  if (auto it = doc.find("createdAt"); it != doc.end() && it->is_number_integer()) {
    created_at = it->get<int64_t>();
  }
  std::shared_ptr<SigningKey> key(new SigningKey(*kid, alg, created_at));
  if (alg == JwsAlg::kHS256) {
    const std::string* secret = str("secret");
    auto bytes = secret ? Base64Decode(*secret, Base64Alphabet::kUrl) : std::nullopt;
    if (!bytes || bytes->size() < kHmacSecretBytes) {
      return DataLoss("HS256 key '" + *kid + "' needs a base64url secret of >= 32 bytes");
    }
    key->SetHmacSecret(std::move(*bytes));
  } else {
    const std::string* pem = str("privateKeyPem");
    if (pem == nullptr) return DataLoss("key '" + *kid + "' has no privateKeyPem");
    Ptr<BIO> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    key->pkey_ = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (key->pkey_ == nullptr) return DataLoss("key '" + *kid + "': privateKeyPem is unreadable");
    const bool type_ok =
        alg == JwsAlg::kRS256
            ? EVP_PKEY_is_a(key->pkey_, "RSA") && EVP_PKEY_get_bits(key->pkey_) >= 2048
            : EVP_PKEY_is_a(key->pkey_, "EC") && EVP_PKEY_get_bits(key->pkey_) == 256;
    if (!type_ok) {
      return DataLoss("key '" + *kid + "': the PEM key does not fit " + JwsAlgName(alg));
    }
  }
  return std::shared_ptr<const SigningKey>(std::move(key));
}

StatusOr<std::string> SigningKey::ToKeyFileJson() const {
  nlohmann::json doc = {{"kid", kid_}, {"alg", JwsAlgName(alg_)}, {"createdAt", created_at_}};
  if (alg_ == JwsAlg::kHS256) {
    doc["secret"] = Base64Encode(hmac_secret_, Base64Alphabet::kUrl);
  } else {
    Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return Internal("could not serialize key '" + kid_ + "'");
    }
    doc["privateKeyPem"] = BioToString(bio.get());
  }
  return doc.dump(2) + "\n";
}

StatusOr<std::string> SigningKey::PublicKeyPem() const {
  if (pkey_ == nullptr) return FailedPrecondition("an HS256 key has no public key");
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_) != 1) {
    return Internal("could not write the public key of '" + kid_ + "'");
  }
  return BioToString(bio.get());
}

StatusOr<std::string> SigningKey::Sign(std::string_view input) const {
  if (alg_ == JwsAlg::kHS256) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (!Hmac(input, mac, &len)) return Internal("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<char*>(mac), len);
  }
  Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) {
    return Internal(std::string(JwsAlgName(alg_)) + " signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    return Internal(std::string(JwsAlgName(alg_)) + " signing failed");
  }
  sig.resize(len);
  if (alg_ == JwsAlg::kES256) {
    return DerToRaw(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
  }
  return sig;
}

bool SigningKey::Verify(std::string_view input, std::string_view signature) const {
  if (signature.empty()) return false;
  if (alg_ == JwsAlg::kHS256) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (!Hmac(input, mac, &len)) return false;
    return signature.size() == len && CRYPTO_memcmp(mac, signature.data(), len) == 0;
  }
  std::string der;
  std::string_view to_check = signature;
  if (alg_ == JwsAlg::kES256) {
    der = RawToDer(signature);
    if (der.empty()) return false;
    to_check = der;
  }
  Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(to_check.data()),
                          to_check.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

}  // namespace skiff::auth
