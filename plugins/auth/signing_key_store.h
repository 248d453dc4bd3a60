// SPDX-License-Identifier: Apache-2.0
// SigningKeyStore: a workspace's JWS keys in a keys directory, one 0600 file
// per key (`<kid>.key.json`) plus `active` naming the kid new tokens are
// signed with, and `retired.json` ({"<kid>": last accepted Unix second}) for
// keys in a grace period. Rotation adds a key and makes it active; older keys
// keep verifying tokens until Remove() deletes them or their grace ends.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "signing_key.h"
#include "skiff/status.h"

namespace skiff::auth {

// An immutable view of the keys: what a verifier looks a kid up in.
struct SigningKeySet {
  // Distinct for every set a store publishes (process-wide, never reused), so
  // an answer remembered for one set is never taken for another's: a
  // verified-token cache entry holds the generation it was checked against
  // (token_cache.h). 0 for a set built by hand.
  uint64_t generation = 0;
  std::string active_kid;
  std::map<std::string, std::shared_ptr<const SigningKey>, std::less<>> keys;

  // Retired keys: kid -> the last Unix second a token signed with it is
  // accepted (RetireAllBut()). Keys not listed never expire.
  std::map<std::string, int64_t, std::less<>> verify_until;

  const SigningKey* Find(std::string_view kid) const {
    auto it = keys.find(kid);
    return it == keys.end() ? nullptr : it->second.get();
  }
  // False for a retired key whose grace period ended before `now`.
  bool Verifies(std::string_view kid, int64_t now) const {
    auto it = verify_until.find(kid);
    return it == verify_until.end() || now <= it->second;
  }
};

class SigningKeyStore {
 public:
  struct Options {
    std::string dir;                    // created 0700 if missing
    JwsAlg algorithm = JwsAlg::kHS256;  // of the first key when the directory has none
    std::function<int64_t()> now;       // Unix seconds, for createdAt; default system clock
  };

  // Loads every key in `dir`, or creates the first one. Refuses key files
  // that others may read, unreadable keys, and an `active` naming no key.
  static StatusOr<std::unique_ptr<SigningKeyStore>> Open(Options options);

  // Threading: hot path, may be called concurrently with everything.
  std::shared_ptr<const SigningKeySet> Snapshot() const;

  // Generates a key of `alg`, writes it, then makes it active. Returns its kid.
  // Threading: may be called concurrently (writers are serialized).
  StatusOr<std::string> Rotate(JwsAlg alg);

  // Revocation: Rotate(`alg`), then every older key verifies tokens for
  // `grace_seconds` more (recorded in `retired.json`; an earlier, shorter
  // deadline stays) and never signs again; with 0 they are deleted at once.
  // Keys whose grace already ended are deleted. Returns the new kid.
  // Threading: may be called concurrently (writers are serialized).
  StatusOr<std::string> RotateAndRetire(JwsAlg alg, int64_t grace_seconds);

  // Deletes a non-active key: tokens signed with it stop verifying at once.
  // Threading: may be called concurrently (writers are serialized).
  Status Remove(std::string_view kid);

 private:
  explicit SigningKeyStore(Options options) : options_(std::move(options)) {}
  Status Load();
  StatusOr<std::string> RotateLocked(JwsAlg alg);
  // Stamps `set` with a fresh generation and makes it current.
  Status Publish(std::shared_ptr<SigningKeySet> set);
  std::string KeyPath(std::string_view kid) const;

  Options options_;
  std::mutex write_mu_;                // serializes Rotate/Remove (file writes + publish)
  mutable std::shared_mutex read_mu_;  // guards current_ (pointer swap only)
  std::shared_ptr<const SigningKeySet> current_;
};

// kids are 1..64 of [A-Za-z0-9_-] (they are file names).
bool IsValidKid(std::string_view kid);

}  // namespace skiff::auth
