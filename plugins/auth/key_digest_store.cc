// SPDX-License-Identifier: Apache-2.0
#include "key_digest_store.h"

#include <openssl/crypto.h>

#include <atomic>
#include <mutex>

namespace skiff::auth {

void KeyDigestStore::Put(const std::string& service, ServicePolicy policy) {
  // Process-wide, so two authenticators' policies never share a number either.
  static std::atomic<uint64_t> last_generation{0};
  policy.generation = last_generation.fetch_add(1, std::memory_order_relaxed) + 1;
  auto fresh = std::make_shared<const ServicePolicy>(std::move(policy));
  std::shared_ptr<const ServicePolicy> old;  // released after the lock
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto& slot = policies_[service];
  old = std::move(slot);
  slot = std::move(fresh);
}

void KeyDigestStore::Remove(std::string_view service) {
  std::shared_ptr<const ServicePolicy> old;
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = policies_.find(service);
  if (it == policies_.end()) return;
  old = std::move(it->second);
  policies_.erase(it);
}

std::shared_ptr<const ServicePolicy> KeyDigestStore::Get(std::string_view service) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = policies_.find(service);
  return it == policies_.end() ? nullptr : it->second;
}

bool KeyDigestStore::KeyMatches(const ServicePolicy& policy, std::string_view key) {
  const Sha256Digest presented = Sha256(key);
  int matched = 0;
  for (const Sha256Digest& accepted : policy.key_digests) {
    matched |= (CRYPTO_memcmp(presented.data(), accepted.data(), presented.size()) == 0);
  }
  return matched != 0;
}

}  // namespace skiff::auth
