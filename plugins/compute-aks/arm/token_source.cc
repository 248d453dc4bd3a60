// SPDX-License-Identifier: Apache-2.0
#include "arm/token_source.h"

#include <nlohmann/json.hpp>

#include "arm/azure_cli_credential.h"
#include "arm/managed_identity.h"
#include "skiff/util/debug_log.h"
#include "skiff/util/file.h"
#include "skiff/util/url.h"

namespace skiff::compute_aks {

TokenSource::TokenSource(AzureCredentials credentials, std::shared_ptr<RetrySender> sender,
                         std::shared_ptr<HttpTransport> metadata_transport)
    : credentials_(std::move(credentials)),
      sender_(std::move(sender)),
      metadata_transport_(std::move(metadata_transport)) {}

bool TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  token_.clear();
  return credentials_.access_token.empty();
}

StatusOr<std::string> TokenSource::Token() {
  if (!credentials_.access_token.empty()) return credentials_.access_token;
  std::lock_guard<std::mutex> lock(mu_);
  if (!token_.empty() && sender_->clock().Now() < refresh_after_) return token_;
  const auto requested_at = sender_->clock().Now();
  SKIFF_ASSIGN_OR_RETURN(AccessToken fresh, RequestToken());
  // Renew 5 minutes early, or at half-life for short-lived tokens.
  const auto lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(fresh.expires_at - requested_at);
  const auto margin =
      lifetime > std::chrono::seconds(600) ? std::chrono::seconds(300) : lifetime / 2;
  token_ = std::move(fresh.token);
  refresh_after_ = fresh.expires_at - margin;
  return token_;
}

StatusOr<AccessToken> TokenSource::RequestToken() {
  switch (credentials_.kind) {
    case AzureCredentialKind::kAccessToken:
    case AzureCredentialKind::kServicePrincipal:
      return RequestAadToken("&client_secret=" + FormEncode(credentials_.client_secret),
                             "check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET");
    case AzureCredentialKind::kWorkloadIdentity: {
      // Read on every request: the kubelet replaces the projected token
      // before it expires, and an old one is refused.
      auto assertion = ReadFile(credentials_.federated_token_file);
      if (!assertion.ok()) {
        return Unauthenticated("workload identity: cannot read AZURE_FEDERATED_TOKEN_FILE " +
                               credentials_.federated_token_file + " (" +
                               assertion.status().message() +
                               "); is the service account token projected into this pod?");
      }
      std::string jwt = *assertion;
      while (!jwt.empty() && std::isspace(static_cast<unsigned char>(jwt.back()))) jwt.pop_back();
      if (jwt.empty()) {
        return Unauthenticated("workload identity: AZURE_FEDERATED_TOKEN_FILE " +
                               credentials_.federated_token_file + " is empty");
      }
      return RequestAadToken(
          "&client_assertion_type=" +
              FormEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
              "&client_assertion=" + FormEncode(jwt),
          "check AZURE_TENANT_ID, AZURE_CLIENT_ID and the federated credential of that "
          "application (its issuer and subject must match this service account)");
    }
    case AzureCredentialKind::kManagedIdentity: {
      if (!metadata_transport_) metadata_transport_ = MakeMetadataTransport();
      ManagedIdentityRequest request{credentials_.managed_identity_endpoint,
                                     credentials_.identity_header, credentials_.client_id,
                                     kArmResource};
      return FetchManagedIdentityToken(request, *metadata_transport_, sender_->clock(),
                                       ManagedIdentityRetry{});
    }
    case AzureCredentialKind::kAzureCli:
      return FetchAzureCliToken(credentials_.az_program, kArmResource, sender_->clock().Now());
  }
  return Internal("unknown Azure credential kind");
}

StatusOr<AccessToken> TokenSource::RequestAadToken(const std::string& credential_fields,
                                                   const std::string& check) {
  const std::string url =
      credentials_.authority_host + "/" + FormEncode(credentials_.tenant_id) + "/oauth2/v2.0/token";
  const std::string form =
      "grant_type=client_credentials&client_id=" + FormEncode(credentials_.client_id) +
      credential_fields + "&scope=" + FormEncode(kArmScope);
  const auto requested_at = sender_->clock().Now();
  DebugLog("Azure AD token request to " + credentials_.authority_host + " (" +
            CredentialKindName(credentials_.kind) + ")");
  auto reply = sender_->Send([&]() -> StatusOr<HttpRequest> {
    return HttpRequest{
        "POST",
        url,
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
        form};
  });
  const std::string what = "Azure AD token request to " + credentials_.authority_host +
                           " (tenant " + credentials_.tenant_id + ", " +
                           CredentialKindName(credentials_.kind) + ")";
  if (!reply.ok()) return reply.status().WithContext(what);
  auto body = nlohmann::json::parse(reply->body, nullptr, false);
  if (reply->status != 200) {
    std::string detail = "HTTP " + std::to_string(reply->status);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
      detail += " " + body["error"].get<std::string>();
      if (body.contains("error_description") && body["error_description"].is_string()) {
        // The description never echoes the secret; keep its first line only.
        std::string d = body["error_description"].get<std::string>();
        detail += ": " + d.substr(0, d.find_first_of("\r\n"));
      }
    }
    return Unauthenticated(what + " failed: " + detail + "; " + check);
  }
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    return Unauthenticated(what + ": the reply has no access_token");
  }
  int64_t expires_in = 3600;
  if (body.contains("expires_in")) {
    // Azure AD has sent it both as a number and as a string.
    if (body["expires_in"].is_number_integer()) expires_in = body["expires_in"].get<int64_t>();
    if (body["expires_in"].is_string()) {
      try {
        expires_in = std::stoll(body["expires_in"].get<std::string>());
      } catch (...) {
      }
    }
  }
  return AccessToken{body["access_token"].get<std::string>(),
                     requested_at + std::chrono::seconds(expires_in)};
}

}  // namespace skiff::compute_aks
