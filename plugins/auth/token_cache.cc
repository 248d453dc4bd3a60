// SPDX-License-Identifier: Apache-2.0
#include "token_cache.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

namespace skiff::auth {

namespace {

constexpr std::size_t kMaxShards = 64;

}  // namespace

static_assert(sizeof(CachedToken) <= 48, "a cache entry stays small (docs/auth.md)");

bool StillValid(const CachedToken& token, const TokenCheckContext& now) {
  if (token.keys_generation != now.keys_generation) return false;
  if (token.policy_generation != now.policy_generation) return false;
  // The same comparisons as VerifyJwt (SigningKeySet::Verifies, then the
  // time claims), written so that no stored value is added to.
  if (now.now > token.key_verify_until) return false;
  const int64_t leeway = now.leeway_seconds;
  if (now.now - leeway > token.expires_at) return false;
  if (now.now + leeway < token.not_before) return false;
  if (token.issued_at > now.now + leeway) return false;
  return true;
}

VerifiedTokenCache::VerifiedTokenCache(std::size_t entries)
    : sets_(std::max<std::size_t>(1, (entries + kWays - 1) / kWays)),
      shard_count_(std::min(sets_, kMaxShards)),
      shards_(new Shard[shard_count_]),
      slots_(sets_ * kWays) {}

VerifiedTokenCache::~VerifiedTokenCache() = default;

std::size_t VerifiedTokenCache::SetOf(const Sha256Digest& digest) const {
  // A SHA-256 is uniform, and only tokens that passed the whole check are
  // entered, so nobody without a valid token can aim entries at one set.
  uint64_t bits;
  std::memcpy(&bits, digest.data(), sizeof bits);
  return static_cast<std::size_t>(bits % sets_);
}

bool VerifiedTokenCache::Accepts(const Sha256Digest& digest, const TokenCheckContext& context) {
  const std::size_t set = SetOf(digest);
  Shard& shard = ShardOf(set);
  Slot* const first = &slots_[set * kWays];
  std::lock_guard<std::mutex> lock(shard.mu);
  for (Slot* slot = first; slot != first + kWays; ++slot) {
    // Constant-time enough: what is compared are digests, not secrets. A
    // sender's timing could at most tell how much of a stored digest its own
    // token's digest shares, and knowing a valid token's digest does not let
    // anyone present the token (SHA-256 preimage resistance). Whether the
    // token was remembered at all the sender learns from the answer anyway.
    // CRYPTO_memcmp keeps even that prefix length out of the timing.
    if (!slot->used || CRYPTO_memcmp(slot->digest.data(), digest.data(), digest.size()) != 0) {
      continue;
    }
    if (StillValid(slot->token, context)) {
      ++shard.hits;
      return true;
    }
    slot->used = false;  // expired, retired, or checked under another key set or policy
    return false;
  }
  return false;
}

void VerifiedTokenCache::Insert(const Sha256Digest& digest, const CachedToken& token) {
  const std::size_t set = SetOf(digest);
  Shard& shard = ShardOf(set);
  Slot* const first = &slots_[set * kWays];
  std::lock_guard<std::mutex> lock(shard.mu);
  Slot* target = nullptr;
  for (Slot* slot = first; slot != first + kWays; ++slot) {
    if (slot->used && slot->digest == digest) {
      target = slot;
      break;
    }
    if (!slot->used) {
      if (target == nullptr || target->used) target = slot;
    } else if (target == nullptr ||
               (target->used && slot->token.expires_at < target->token.expires_at)) {
      target = slot;
    }
  }
  target->digest = digest;
  target->used = true;
  target->token = token;
}

VerifiedTokenCache::Stats VerifiedTokenCache::GetStats() const {
  Stats stats;
  stats.capacity = slots_.size();
  for (std::size_t set = 0; set < sets_; ++set) {
    const Shard& shard = ShardOf(set);
    std::lock_guard<std::mutex> lock(shard.mu);
    for (std::size_t way = 0; way < kWays; ++way) stats.entries += slots_[set * kWays + way].used;
  }
  for (std::size_t s = 0; s < shard_count_; ++s) {
    std::lock_guard<std::mutex> lock(shards_[s].mu);
    stats.hits += shards_[s].hits;
  }
  return stats;
}

}  // namespace skiff::auth
