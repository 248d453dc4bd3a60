// Internal: what Webservice and AksEndpoint share: the keys file, the
// control plane's authenticator, and the skiff-server config built from the
// store's records.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "skiff/authenticator.h"
#include "skiff/compute_target.h"
#include "skiff/rollout_policy.h"
#include "skiff/sdk/workspace.h"

namespace skiff::sdk::internal {

// <ws>/keys/<service>.json, mode 0600 in a 0700 directory, written atomically.
Status WriteKeys(const Workspace& ws, const std::string& service, const std::string& primary,
                 const std::string& secondary);
StatusOr<std::pair<std::string, std::string>> ReadKeys(const Workspace& ws,
                                                       const std::string& service);
Status RemoveKeys(const Workspace& ws, const std::string& service);

// The workspace's authenticator (auth plugin "default"): key generation and
// token issuing, with signing keys in <ws>/signing-keys.
StatusOr<std::shared_ptr<Authenticator>> ControlAuthenticator(const Workspace& ws);
// The plugin options the servers verify tokens with (same keys dir).
std::string AuthOptionsJson(const Workspace& ws);

// Service names as Azure ML requires: 3-32 characters, lowercase letters,
// digits and '-', starting with a letter, ending with a letter or digit.
Status ValidateServiceName(const std::string& name);

// One version of what a server serves.
struct VersionInput {
  VersionSpec spec;
  store::ModelVersionRef model;
  std::string inference_config_json;
};

// The ServiceSpec for `service`: verifies every model artifact's hash,
// builds the skiff-server config (docs/server-config.md) with key digests:
// `key_digests` when given (a dry run before any key exists), else those of
// the service's keys file.
StatusOr<ServiceSpec> BuildServiceSpec(
    const Workspace& ws, const std::string& service, const std::string& deployment_config_json,
    const std::vector<VersionInput>& versions, int64_t generation,
    const std::optional<std::vector<std::string>>& key_digests = std::nullopt);

}  // namespace skiff::sdk::internal
