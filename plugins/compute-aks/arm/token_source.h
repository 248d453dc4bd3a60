// SPDX-License-Identifier: Apache-2.0
// TokenSource: bearer tokens for ARM from the credential the chain chose
// (credentials.h): a fixed AZURE_ACCESS_TOKEN; a client-credentials token
// from Azure AD (POST {authority}/{tenant}/oauth2/v2.0/token) with the
// service principal's secret or, for workload identity, the federated
// token file as client_assertion; a managed identity token
// (managed_identity.h); or the Azure CLI's (azure_cli_credential.h). Each
// is cached until shortly before it expires. Tokens and secrets never
// appear in messages or logs.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "arm/access_token.h"
#include "arm/credentials.h"
#include "transport/retry_sender.h"

namespace skiff::compute_aks {

class TokenSource {
 public:
  // `metadata_transport`: how a managed identity's endpoint is reached
  // (plain http to 169.254.169.254); null: a client made for it on first use.
  TokenSource(AzureCredentials credentials, std::shared_ptr<RetrySender> sender,
              std::shared_ptr<HttpTransport> metadata_transport = nullptr);

  // A valid token, requesting one when the cache is empty or near expiry.
  // Threading: safe to call concurrently (one request at a time).
  StatusOr<std::string> Token();
  // Drops the cached token (after a 401); a fixed token cannot be renewed.
  // Returns whether a new token could be different.
  bool Invalidate();

  AzureCredentialKind kind() const { return credentials_.kind; }

 private:
  StatusOr<AccessToken> RequestToken();  // requires mu_
  // Azure AD client credentials; `credential_fields`: the form's client_secret
  // or client_assertion part.
  StatusOr<AccessToken> RequestAadToken(const std::string& credential_fields,
                                        const std::string& check);

  const AzureCredentials credentials_;
  std::shared_ptr<RetrySender> sender_;
  mutable std::mutex mu_;
  std::shared_ptr<HttpTransport> metadata_transport_;    // guarded by mu_
  std::string token_;                                    // guarded by mu_
  std::chrono::system_clock::time_point refresh_after_;  // guarded by mu_
};

}  // namespace skiff::compute_aks
