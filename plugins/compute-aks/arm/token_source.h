// TokenSource: bearer tokens for ARM. A fixed AZURE_ACCESS_TOKEN, or a
// client-credentials token from Azure AD
// (POST {authority}/{tenant}/oauth2/v2.0/token), cached until shortly
// before it expires. Tokens and secrets never appear in messages or logs.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "arm/credentials.h"
#include "transport/retry_sender.h"

namespace skiff::compute_aks {

class TokenSource {
 public:
  TokenSource(AzureCredentials credentials, std::shared_ptr<RetrySender> sender);

  // A valid token, requesting one when the cache is empty or near expiry.
  // Threading: safe to call concurrently (one request at a time).
  StatusOr<std::string> Token();
  // Drops the cached token (after a 401); a fixed token cannot be renewed.
  // Returns whether a new token could be different.
  bool Invalidate();

 private:
  StatusOr<std::string> RequestToken();  // requires mu_

  const AzureCredentials credentials_;
  std::shared_ptr<RetrySender> sender_;
  mutable std::mutex mu_;
  std::string token_;                                    // guarded by mu_
  std::chrono::system_clock::time_point refresh_after_;  // guarded by mu_
};

}  // namespace skiff::compute_aks
