// SPDX-License-Identifier: Apache-2.0
// Authentication to an OCI registry, as docker and skopeo do it:
//   - anonymous;
//   - basic: a docker config.json `auths` entry (base64 "user:password");
//   - the bearer-token challenge (`WWW-Authenticate: Bearer realm=...,
//     service=...,scope=...`): a token from the realm, asked with the basic
//     credentials when there are any (GET), or with a refresh token (POST
//     grant_type=refresh_token; docker config's `identitytoken`);
//   - Azure Container Registry with Azure AD: the AAD access token is
//     exchanged at <registry>/oauth2/exchange for a refresh token, which then
//     buys access tokens per scope at /oauth2/token.
// Secrets never appear in messages.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "skiff/net/http_client.h"
#include "skiff/status.h"

namespace skiff::oci {

struct RegistryCredentials {
  std::string username;  // basic
  std::string password;
  std::string identity_token;  // a refresh token (docker config `identitytoken`)
  // ACR: returns an Azure AD access token (compute-aks's TokenSource, the
  // service principal ARM uses) to exchange; `tenant` goes with it.
  std::function<StatusOr<std::string>()> aad_access_token;
  std::string tenant;
};

// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::string DefaultDockerConfigPath();

// The `auths` entry for `registry` ("host[:port]"; "https://host" keys too)
// in the docker config at `path`: `auth` (base64 user:password) or
// `username`/`password`, and `identitytoken`. No entry: anonymous (empty
// credentials). A missing file at the default path is anonymous; a missing
// file given explicitly, or a malformed one, is an error naming it.
StatusOr<RegistryCredentials> CredentialsFromDockerConfig(const std::string& path,
                                                          const std::string& registry,
                                                          bool path_was_given);

// One WWW-Authenticate challenge: scheme ("Bearer", "Basic") and its
// parameters (quoted strings unquoted).
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
StatusOr<AuthChallenge> ParseAuthChallenge(const std::string& header);

// Holds the Authorization header to send and answers challenges.
// Threading: not thread-safe (one push at a time).
class RegistryAuthenticator {
 public:
  RegistryAuthenticator(RegistryCredentials credentials, const net::HttpClient* client)
      : credentials_(std::move(credentials)), client_(client) {}

  // The Authorization value for the next request ("" for none yet).
  const std::string& header() const { return header_; }

  // After a 401 with `www_authenticate`: obtains what the challenge asks
  // for. kUnauthenticated naming the fix when there is nothing to offer or
  // the token service refused.
  Status OnChallenge(const std::string& www_authenticate);

  int token_requests() const { return token_requests_; }
  int exchanges() const { return exchanges_; }

 private:
  Status Bearer(const AuthChallenge& challenge);
  StatusOr<std::string> ExchangeAadToken(const std::string& realm, const std::string& service);

  RegistryCredentials credentials_;
  const net::HttpClient* client_;
  std::string header_;
  std::string refresh_token_;  // from the ACR exchange
  int token_requests_ = 0;
  int exchanges_ = 0;
};

}  // namespace skiff::oci
