// SPDX-License-Identifier: Apache-2.0
#include "api_key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "skiff/util/base64.h"

namespace skiff::auth {

StatusOr<std::string> GenerateApiKey() {
  unsigned char bytes[kApiKeyBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Internal("RAND_bytes failed; the OpenSSL CSPRNG is not seeded");
  }
  std::string key = Base64Encode(
      std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)), Base64Alphabet::kUrl);
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return key;
}

Status ValidateGivenKey(std::string_view key) {
  if (key.size() < kMinGivenKeyChars) {
    return InvalidArgument("key is " + std::to_string(key.size()) + " characters; at least " +
                           std::to_string(kMinGivenKeyChars) + " are required");
  }
  if (key.size() > kMaxCredentialBytes) {
    return InvalidArgument("key is longer than " + std::to_string(kMaxCredentialBytes) + " bytes");
  }
  for (char c : key) {
    if (c <= 0x20 || c >= 0x7F) {
      return InvalidArgument("key may hold only printable ASCII characters other than space");
    }
  }
  return OkStatus();
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  // Hot path (every key-authenticated request): OpenSSL 3 looks the
  // algorithm up on each EVP_sha256() digest (a provider fetch, about half of
  // the cost of hashing a key), so fetch it once and reuse one context per
  // thread. Neither can fail short of memory exhaustion; the zero digest a
  // failure would leave matches no configured key.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (kSha256 == nullptr || ctx == nullptr ||
      EVP_DigestInit_ex2(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) {
    EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  }
  return out;
}

std::string ToHex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

StatusOr<Sha256Digest> Sha256FromHex(std::string_view hex) {
  if (hex.size() != 64) return InvalidArgument("a SHA-256 digest is 64 hex characters");
  Sha256Digest out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("a SHA-256 digest is lower-case hex");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace skiff::auth
