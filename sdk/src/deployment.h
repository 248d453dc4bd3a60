// SPDX-License-Identifier: Apache-2.0
// Internal: what Webservice and AksEndpoint share: the keys file, the
// control plane's authenticator, and the skiff-server config built from the
// store's records.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "skiff/authenticator.h"
#include "skiff/compute_target.h"
#include "skiff/config/deployment_config.h"
#include "skiff/net/http_client.h"
#include "skiff/rollout_policy.h"
#include "skiff/sdk/workspace.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/service_name.h"

namespace skiff::sdk::internal {

// <ws>/keys/<service>.json, mode 0600 in a 0700 directory, written atomically.
Status WriteKeys(const Workspace& ws, const std::string& service, const std::string& primary,
                 const std::string& secondary);
// The keys file's replacement, written and flushed but not in place: a key
// rotation commits it only once the running server accepted the new keys,
// so `get-keys` never shows a key the service refuses (a full disk fails
// here, before anything changed).
StatusOr<StagedFile> StageKeys(const Workspace& ws, const std::string& service,
                               const std::string& primary, const std::string& secondary);
StatusOr<std::pair<std::string, std::string>> ReadKeys(const Workspace& ws,
                                                       const std::string& service);
Status RemoveKeys(const Workspace& ws, const std::string& service);

// The endpoint's routing salt (sticky A/B, docs/rollout.md): 32 random bytes
// in hex at <ws>/keys/<service>.routing-salt (0600, in the 0700 keys/),
// created once and kept until the service is deleted (RemoveKeys), so a
// key's version and its exposure-log digest stay the same across updates.
// The salt is sent to the server only (server.json), never printed.
// Removes the endpoint's routing salt (a missing one is fine): a salt made
// for a change the target then refused must leave no trace.
void RemoveRoutingSalt(const Workspace& ws, const std::string& service);
StatusOr<std::string> EnsureRoutingSalt(const Workspace& ws, const std::string& service);
// The salt, or NotFound when the service has none yet.
StatusOr<std::string> ReadRoutingSalt(const Workspace& ws, const std::string& service);
// What stands in for the salt where it must not appear (a dry run, or a
// spec built before the first deploy created it).
inline constexpr char kRoutingSaltPlaceholder[] = "<the endpoint's routing salt (redacted)>";

// Token signing keys, one set per deployment of a service (docs/auth.md):
// <ws>/signing-keys/<service>/<set>/ (the auth plugin's keys directory) and
// <ws>/signing-keys/<service>/current naming the set the running server
// verifies with. A deployment starts a new set and delete removes them all,
// so a token minted for a deleted service never verifies on a redeployed one
// of the same name.

// The current set's directory; a new set (with its first key) when the
// service has none.
StatusOr<std::string> EnsureSigningKeys(const Workspace& ws, const std::string& service);
// The current set's directory, or "" when there is none; creates nothing.
std::string CurrentSigningKeys(const Workspace& ws, const std::string& service);
// Removes every signing key of a service (delete, and a fresh deploy).
Status RemoveSigningKeys(const Workspace& ws, const std::string& service);

// A rotation of a service's signing keys that becomes current only once the
// running server verifies with it: Stage() copies the current set to a new
// one and rotates there (the current set is untouched); Commit() makes it
// current and removes the previous set; an uncommitted rotation removes its
// set when destroyed. Move-only.
class SigningKeyRotation {
 public:
  static StatusOr<SigningKeyRotation> Stage(const Workspace& ws, const std::string& service,
                                            int64_t grace_seconds);
  SigningKeyRotation(SigningKeyRotation&& other) noexcept
      : dir_(std::exchange(other.dir_, std::string())),
        previous_(std::move(other.previous_)),
        pointer_(std::move(other.pointer_)),
        done_(other.done_) {}
  SigningKeyRotation& operator=(SigningKeyRotation&&) = delete;
  ~SigningKeyRotation();

  // The new set: the keysDir to send to the server.
  const std::string& dir() const { return dir_; }
  Status Commit();

 private:
  SigningKeyRotation(std::string dir, std::string previous, StagedFile pointer)
      : dir_(std::move(dir)), previous_(std::move(previous)), pointer_(std::move(pointer)) {}
  std::string dir_;
  std::string previous_;  // "" when the service had no set
  StagedFile pointer_;    // `current` naming the new set
  bool done_ = false;
};

// The authenticator (auth plugin "default") over one signing-key set: key
// generation and token issuing. Cached per directory (a set's directory is
// never reused, so a cached one never goes stale).
StatusOr<std::shared_ptr<Authenticator>> ControlAuthenticator(const std::string& keys_dir,
                                                              const Workspace& ws);
// The authenticator over the service's current set (created if missing).
StatusOr<std::shared_ptr<Authenticator>> ControlAuthenticator(const Workspace& ws,
                                                              const std::string& service);
// The plugin options a server verifies tokens with: the set `keys_dir`.
std::string AuthOptionsJson(const Workspace& ws, const std::string& keys_dir);

// A key an operator sets (--set-key, deploymentConfig.keys): 32 to 8192
// printable ASCII characters without whitespace, the auth plugin's rule
// (docs/auth.md). The error names `field` and never echoes the key.
Status ValidateGivenKey(const std::string& key, const std::string& field);

// The client the SDK calls a skiff server with (readiness, scoring):
// user agent "skiff-sdk", and plain http:// to any host, as scoring URIs of
// services reached over a cluster network have always been allowed to be.
// https verifies the peer against the system CA store plus the PEM file
// SKIFF_CA_FILE names (a private CA), and the URI's host name.
net::HttpClient SdkHttpClient(std::chrono::milliseconds timeout);

// One version of what a server serves.
struct VersionInput {
  VersionSpec spec;
  store::ModelVersionRef model;
  std::string inference_config_json;
  // An endpoint version's own deployment config (its record's), "" or "{}"
  // when it runs the endpoint's.
  std::string deployment_config_json;
  int shadow_percentile = 0;  // the version record's; 0 = not a shadow
};

// What an endpoint version's own deployment config may not change: auth,
// keys, namespace, port, body limit, telemetry and data collection are the
// endpoint's (one router authenticates and admits for every version).
// InvalidArgument naming `flag` and the first such field that differs.
Status CheckVersionDeployment(const config::DeploymentConfig& endpoint,
                              const config::DeploymentConfig& version, const std::string& flag);
// `version` with the endpoint-wide fields taken from `endpoint` and no keys:
// what the version's server runs.
config::DeploymentConfig VersionDeployment(const config::DeploymentConfig& endpoint,
                                           config::DeploymentConfig version);

// The ServiceSpec for `service`: verifies every model artifact's hash,
// builds the skiff-server config (docs/server-config.md) with key digests:
// `key_digests` when given (a dry run before any key exists), else those of
// the service's keys file.
// `signing_keys_dir` is the set the server verifies tokens with; "" means
// the current one (a path that does not exist yet when there is none: a dry
// run creates nothing).
StatusOr<ServiceSpec> BuildServiceSpec(
    const Workspace& ws, const std::string& service, const std::string& deployment_config_json,
    const std::vector<VersionInput>& versions, int64_t generation,
    const std::optional<std::vector<std::string>>& key_digests = std::nullopt,
    const std::string& signing_keys_dir = "");

}  // namespace skiff::sdk::internal
