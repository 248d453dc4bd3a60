// SPDX-License-Identifier: Apache-2.0
// DefaultAuthenticator: skiff's Authenticator. Key mode checks SHA-256
// digests of the primary/secondary keys; token mode verifies JWTs signed by
// the workspace's SigningKeyStore, remembering the ones that passed
// (VerifiedTokenCache); none lets everything through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "key_digest_store.h"
#include "signing_key_store.h"
#include "skiff/authenticator.h"
#include "token_cache.h"

namespace skiff::auth {

class DefaultAuthenticator final : public Authenticator {
 public:
  struct Options {
    std::string workspace;                  // required; the tokens' iss
    std::string keys_dir;                   // required; signing keys live here
    JwsAlg algorithm = JwsAlg::kHS256;      // of the first signing key
    int64_t token_lifetime_seconds = 3600;  // Azure ML's default, 1..86400
    int64_t leeway_seconds = 60;            // clock skew allowed on exp/nbf/iat, 0..300
    std::function<int64_t()> now;           // Unix seconds; default system clock
    // Verified tokens remembered (token_cache.h); 0: none, every Verify()
    // does the whole check (the bench's uncached rows). Not a plugin option:
    // the bound is documented (docs/auth.md § Token cache), not tuned.
    std::size_t token_cache_entries = VerifiedTokenCache::kDefaultEntries;
  };

  // Parses the plugin's create() options:
  // {"workspace":"ws","keysDir":"/dir","algorithm":"HS256",
  //  "tokenLifetimeSeconds":3600,"leewaySeconds":60}; unknown fields refused.
  static StatusOr<Options> OptionsFromJson(const std::string& json);
  static StatusOr<std::unique_ptr<DefaultAuthenticator>> Create(Options options);

  ~DefaultAuthenticator() override;

  StatusOr<std::string> GenerateKey() override;
  // refresh_by = expires_on - lifetime / 4 (45 minutes into a 1 h token),
  // leaving a quarter of the lifetime to fetch the next one. Refused unless
  // the service is configured in token mode.
  StatusOr<Credential> Issue(const IssueRequest& request) override;
  Status Configure(const ServiceAuthConfig& config) override;
  Status Verify(std::string_view service, std::string_view authorization) const override;
  // SigningKeyStore::RotateAndRetire() with the active key's algorithm.
  StatusOr<std::string> RotateSigningKey(int64_t grace_seconds) override;

  // Removes a service: its requests are refused from the next Verify().
  // Threading: may be called concurrently with everything.
  void Unconfigure(std::string_view service);
  // The signing keys, for rotation by the control plane.
  SigningKeyStore& signing_keys() { return *signing_keys_; }
  // The verified-token cache, or null when token_cache_entries is 0.
  const VerifiedTokenCache* token_cache() const { return token_cache_.get(); }

 private:
  DefaultAuthenticator(Options options, std::unique_ptr<SigningKeyStore> keys);
  Status VerifyUnguarded(std::string_view service, std::string_view authorization) const;
  Status VerifyToken(const ServicePolicy& policy, std::string_view service,
                     std::string_view token) const;

  const Options options_;
  std::unique_ptr<SigningKeyStore> signing_keys_;
  KeyDigestStore services_;
  // Null when disabled. Verify() is const and still fills it: the cache
  // changes no answer, only what an answer costs. Thread-safe on its own.
  const std::unique_ptr<VerifiedTokenCache> token_cache_;
};

}  // namespace skiff::auth
