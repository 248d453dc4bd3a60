// SPDX-License-Identifier: Apache-2.0
// Authenticator: the interface an auth plugin (libskiff_auth_*.so) implements.
// It issues credentials for a service (control plane) and verifies the
// `Authorization` header of every scoring request (data plane, hot path).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/plugin_abi.h"
#include "skiff/status.h"

namespace skiff {

// Per-service auth mode, as in Azure ML: key (default), token, or none
// (authEnabled: false and tokenAuthEnabled: false). Key and token are exclusive.
enum class AuthMode : int32_t { kNone = 0, kKey = 1, kToken = 2 };

// Maps Azure ML's two deployment flags to a mode; both true is refused.
inline StatusOr<AuthMode> AuthModeFromFlags(bool auth_enabled, bool token_auth_enabled) {
  if (auth_enabled && token_auth_enabled) {
    return InvalidArgument(
        "authEnabled and tokenAuthEnabled are both true; key and token auth are exclusive, "
        "set one of them to false");
  }
  if (token_auth_enabled) return AuthMode::kToken;
  return auth_enabled ? AuthMode::kKey : AuthMode::kNone;
}

// What one service accepts. The data plane holds only key digests.
struct ServiceAuthConfig {
  std::string service;  // also the token audience (`aud`)
  AuthMode mode = AuthMode::kKey;
  // Lower-case hex SHA-256 digests of the accepted keys (primary, secondary):
  // one or two in key mode, none otherwise.
  std::vector<std::string> key_sha256_hex;
};

struct IssueRequest {
  std::string service;            // the token's `aud`
  // 0: the plugin's configured lifetime (Azure ML default: one hour).
  int64_t lifetime_seconds = 0;
};

// A credential handed to a client (Azure ML's get_token() -> (token, refresh_by)).
struct Credential {
  std::string value;                // the bearer value
  std::string type = "Bearer";
  int64_t issued_at = 0;            // Unix seconds
  int64_t expires_on = 0;           // Unix seconds
  int64_t refresh_by = 0;           // Unix seconds: fetch a new one after this
};

class Authenticator {
 public:
  static constexpr uint32_t kPluginKind = SKIFF_PLUGIN_KIND_AUTH;

  virtual ~Authenticator();

  // Returns a fresh URL-safe key of at least 256 bits from a CSPRNG.
  // Threading: may be called concurrently.
  virtual StatusOr<std::string> GenerateKey() = 0;

  // Issues a token for a service in token mode.
  // Threading: may be called concurrently.
  virtual StatusOr<Credential> Issue(const IssueRequest& request) = 0;

  // Installs (or replaces) what a service accepts. Takes effect for the next
  // Verify() call; in-flight Verify() calls finish against the old config.
  // Threading: may be called concurrently with Verify() and with itself.
  virtual Status Configure(const ServiceAuthConfig& config) = 0;

  // Verifies the value of an `Authorization` header for `service`. Returns OK
  // or kUnauthenticated; the message is for logs and never contains the
  // presented credential. In key mode the answer must depend only on the
  // last Configure() and `authorization`: the host remembers a value
  // accepted on a keep-alive connection and does not ask again for it until
  // it next configures the plugin (docs/auth.md, "Keys").
  // Threading: hot path; called concurrently from every I/O thread.
  virtual Status Verify(std::string_view service, std::string_view authorization) const = 0;

  // Token mode, control plane: a fresh signing key signs every token issued
  // from now on; the keys before it keep verifying tokens for
  // `grace_seconds` (0: not at all), then never again. Persists the change
  // in the plugin's keys directory before returning; a server reads it when
  // it next creates its authenticator. Returns the new key's id (`kid`).
  // Errors: kInvalidArgument for a negative grace; kUnimplemented (this
  // default) for plugins without signing keys.
  // Threading: may be called concurrently (a plugin serializes writers).
  virtual StatusOr<std::string> RotateSigningKey(int64_t grace_seconds);
};

}  // namespace skiff
