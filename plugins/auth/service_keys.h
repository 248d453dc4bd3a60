// The primary and secondary keys of a key-mode service (control plane only;
// the data plane sees their digests) and the on-disk keys file `get-keys`
// reads back.
#pragma once

#include <string>
#include <string_view>

#include "skiff/authenticator.h"
#include "skiff/status.h"

namespace skiff::auth {

enum class KeySlot { kPrimary, kSecondary };

struct ServiceKeys {
  std::string primary;
  std::string secondary;
};

// Two fresh keys (GenerateApiKey()).
StatusOr<ServiceKeys> GenerateServiceKeys();

// Replaces one slot with a fresh key, or with `given` when it is non-empty
// (ValidateGivenKey() applies). The other slot is untouched, so clients on it
// keep working while the regenerated one stops at the next Configure().
Status RegenerateKey(ServiceKeys& keys, KeySlot slot, std::string_view given = {});

// The data-plane configuration for `keys`: key mode and the two digests.
ServiceAuthConfig KeyModeConfig(const std::string& service, const ServiceKeys& keys);

// Keys files: `<dir>/<service>.keys.json`, {"primaryKey":..,"secondaryKey":..},
// mode 0600, written atomically. The keys never appear in a Status message.
class ServiceKeyFiles {
 public:
  explicit ServiceKeyFiles(std::string dir) : dir_(std::move(dir)) {}

  // Threading: concurrent Write() calls for one service race (last rename
  // wins, never a torn file); serialize them in the control plane.
  Status Write(const std::string& service, const ServiceKeys& keys) const;
  // Threading: may be called concurrently.
  StatusOr<ServiceKeys> Read(const std::string& service) const;
  std::string PathFor(const std::string& service) const;

 private:
  std::string dir_;
};

}  // namespace skiff::auth
