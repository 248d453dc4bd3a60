// SPDX-License-Identifier: Apache-2.0
// SHA-256 in lower-case hex, the one implementation (OpenSSL EVP): artifact
// names in the store, key digests in server configs, config digests in
// Kubernetes annotations. Library skiff_sha256 (links OpenSSL::Crypto);
// skiff_abi stays std-only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace skiff {

// Incremental: Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // 64 lower-case hex digits.
  std::string HexDigest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// SHA-256 of `bytes`, 64 lower-case hex digits.
std::string Sha256Hex(std::string_view bytes);

// HMAC-SHA256 of `message` under `key` (RFC 2104), 64 lower-case hex
// digits: a digest that only holders of `key` can compute or link to its
// input (the data plane's routing-key digests, docs/rollout.md).
std::string HmacSha256Hex(std::string_view key, std::string_view message);

}  // namespace skiff
