// SPDX-License-Identifier: Apache-2.0
// ArmClient: authenticated calls to Azure Resource Manager with retries
// (retry_sender.h). Absolute URLs (operation URLs from Azure-AsyncOperation
// or Location headers) must share the ARM endpoint's origin: the bearer
// token is never sent anywhere else.
#pragma once

#include <memory>
#include <string>

#include "arm/token_source.h"
#include "transport/retry_sender.h"

namespace skiff::compute_aks {

class ArmClient {
 public:
  ArmClient(std::string arm_endpoint, std::shared_ptr<TokenSource> tokens,
            std::shared_ptr<RetrySender> sender);

  // `path_or_url`: "/subscriptions/...?api-version=..." or an absolute URL
  // on the ARM origin. Returns the final response whatever its status (see
  // ArmError()); errors only when no response came. A 401 renews a
  // client-credentials token once. Threading: safe to call concurrently.
  StatusOr<HttpResponse> Call(const std::string& method, const std::string& path_or_url,
                              const std::string& body = "");

  Clock& clock() { return sender_->clock(); }
  const std::string& endpoint() const { return endpoint_; }
  // The Azure AD tokens ARM calls use (an ACR push exchanges one too).
  TokenSource& tokens() { return *tokens_; }

 private:
  StatusOr<HttpResponse> CallOnce(const std::string& method, const std::string& url,
                                  const std::string& body);

  const std::string endpoint_;
  std::string origin_;
  std::shared_ptr<TokenSource> tokens_;
  std::shared_ptr<RetrySender> sender_;
};

// An ARM error reply as a Status: "<what>: HTTP 409 Conflict: <message>",
// with the HTTP status mapped to a code (404 -> kNotFound, ...).
Status ArmError(const HttpResponse& response, const std::string& what);

// `{"error": {"code", "message"}}` as "Code: message" ("" when absent).
std::string ArmErrorDetail(const std::string& body);

}  // namespace skiff::compute_aks
