// SPDX-License-Identifier: Apache-2.0
// KeyDigestStore: the per-service policies the data plane checks, swapped
// atomically by the control plane. A reader copies a shared_ptr to an
// immutable ServicePolicy under a shared lock held for a map lookup only, so
// Configure() never makes Verify() wait for more than that, and an in-flight
// check finishes against the policy it started with.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "auth_policy.h"

namespace skiff::auth {

class KeyDigestStore {
 public:
  // Installs or replaces one service's policy, stamped with a fresh generation.
  // Threading: may be called concurrently with every method.
  void Put(const std::string& service, ServicePolicy policy);
  // Removes a service; later lookups fail.
  // Threading: may be called concurrently with every method.
  void Remove(std::string_view service);
  // The current policy, or null for an unknown service.
  // Threading: hot path, called concurrently from every I/O thread.
  std::shared_ptr<const ServicePolicy> Get(std::string_view service) const;

  // True when SHA-256(key) equals one of `policy`'s digests. Compares every
  // digest with CRYPTO_memcmp and never exits early, so the time taken does
  // not depend on which digest matched or how much of it did.
  static bool KeyMatches(const ServicePolicy& policy, std::string_view key);

 private:
  mutable std::shared_mutex mu_;
  // Guarded by mu_. Heterogeneous lookup (std::less<>) avoids a string copy.
  std::map<std::string, std::shared_ptr<const ServicePolicy>, std::less<>> policies_;
};

}  // namespace skiff::auth
