// SPDX-License-Identifier: Apache-2.0
// VerifiedTokenCache: the tokens that passed the whole check (VerifyJwt), so
// a client that reuses its token (Azure ML tokens live an hour) is not
// base64-decoded, JSON-parsed and signature-checked on every request (as
// Envoy's jwt_authn `jwt_cache_config`). docs/auth.md § "Token cache".
//
// What an entry remembers: SHA-256 of the token bytes (never the token, so a
// heap dump holds no bearer credential), the generations of the key set and of
// the service policy it was verified under, the signing key's retirement
// deadline in that set, and the token's iat/nbf/exp. A hit is an accept only
// while both generations are still current and the times still hold; anything
// else is a miss, which the caller answers with the whole check, so a refusal
// and its message are always the uncached ones.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "api_key.h"

namespace skiff::auth {

// What a token was verified against and the times a hit rechecks.
struct CachedToken {
  uint64_t keys_generation = 0;          // SigningKeySet::generation
  uint64_t policy_generation = 0;        // ServicePolicy::generation (one service, one Configure)
  int64_t key_verify_until = INT64_MAX;  // its kid's SigningKeySet::verify_until, else max
  int64_t issued_at = 0;
  int64_t not_before = 0;
  int64_t expires_at = 0;
};

// What is current when a request is checked.
struct TokenCheckContext {
  uint64_t keys_generation = 0;
  uint64_t policy_generation = 0;
  int64_t now = 0;  // Unix seconds
  int64_t leeway_seconds = 0;
};

// True when `token`, verified earlier, would pass VerifyJwt now: the same key
// set and policy, the key not past its grace period (no leeway, as
// VerifyJwt), and exp/nbf/iat within the leeway exactly as VerifyJwt tests them.
bool StillValid(const CachedToken& token, const TokenCheckContext& now);

class VerifiedTokenCache {
 public:
  // The default bound: 4,096 tokens per authenticator (one per skiff-server),
  // 352 KiB (88 bytes a slot) allocated once at creation.
  static constexpr std::size_t kDefaultEntries = 4096;
  // Entries per set: a token can live in one of 4 slots chosen by its digest.
  static constexpr std::size_t kWays = 4;

  // `entries` is rounded up to a multiple of kWays (at least kWays).
  explicit VerifiedTokenCache(std::size_t entries = kDefaultEntries);
  ~VerifiedTokenCache();
  VerifiedTokenCache(const VerifiedTokenCache&) = delete;
  VerifiedTokenCache& operator=(const VerifiedTokenCache&) = delete;

  // True when a token with `digest` is remembered and StillValid() under
  // `context`. An entry that is remembered but no longer valid is dropped
  // (the caller then does the whole check, which re-enters it if it passes).
  // Threading: hot path, called concurrently from every I/O thread.
  bool Accepts(const Sha256Digest& digest, const TokenCheckContext& context);

  // Remembers a token that has just passed the whole check. Only call it
  // after VerifyJwt accepted the token, never for a refusal. Replaces the
  // entry of the same digest, else a free slot of its set, else the slot
  // whose token expires first.
  // Threading: may be called concurrently with everything.
  void Insert(const Sha256Digest& digest, const CachedToken& token);

  struct Stats {
    std::size_t capacity = 0;
    std::size_t entries = 0;  // slots in use
    uint64_t hits = 0;        // Accepts() that returned true
  };
  // Threading: may be called concurrently with everything (locks each shard).
  Stats GetStats() const;

 private:
  struct Slot {
    Sha256Digest digest{};
    bool used = false;
    CachedToken token;
  };
  static_assert(sizeof(Slot) <= 88, "a slot stays small (docs/auth.md § Token cache)");
  // One mutex per group of sets, so I/O threads checking different tokens
  // rarely wait on each other; aligned so two shards' locks never share a
  // cache line.
  struct alignas(64) Shard {
    mutable std::mutex mu;  // guards the slots of the sets this shard owns and `hits`
    uint64_t hits = 0;
  };

  std::size_t SetOf(const Sha256Digest& digest) const;
  Shard& ShardOf(std::size_t set) const { return shards_[set % shard_count_]; }

  std::size_t sets_;
  std::size_t shard_count_;
  std::unique_ptr<Shard[]> shards_;
  std::vector<Slot> slots_;  // sets_ * kWays; set s is slots_[s*kWays .. s*kWays+kWays)
};

}  // namespace skiff::auth
