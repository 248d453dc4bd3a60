#include "arm/token_source.h"

#include <nlohmann/json.hpp>

#include "skiff/util/url.h"

namespace skiff::compute_aks {

TokenSource::TokenSource(AzureCredentials credentials, std::shared_ptr<RetrySender> sender)
    : credentials_(std::move(credentials)), sender_(std::move(sender)) {}

bool TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  token_.clear();
  return credentials_.access_token.empty();
}

StatusOr<std::string> TokenSource::Token() {
  if (!credentials_.access_token.empty()) return credentials_.access_token;
  std::lock_guard<std::mutex> lock(mu_);
  if (!token_.empty() && sender_->clock().Now() < refresh_after_) return token_;
  return RequestToken();
}

StatusOr<std::string> TokenSource::RequestToken() {
  const std::string url =
      credentials_.authority_host + "/" + FormEncode(credentials_.tenant_id) + "/oauth2/v2.0/token";
  const std::string form =
      "grant_type=client_credentials&client_id=" + FormEncode(credentials_.client_id) +
      "&client_secret=" + FormEncode(credentials_.client_secret) +
      "&scope=" + FormEncode(kArmScope);
  const auto requested_at = sender_->clock().Now();
  auto reply = sender_->Send([&]() -> StatusOr<HttpRequest> {
    return HttpRequest{
        "POST",
        url,
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
        form};
  });
  const std::string what = "Azure AD token request to " + credentials_.authority_host +
                           " (tenant " + credentials_.tenant_id + ")";
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
    return Unauthenticated(what + " failed: " + detail +
                           "; check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET");
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
  // Renew 5 minutes early, or at half-life for short-lived tokens.
  const int64_t margin = expires_in > 600 ? 300 : expires_in / 2;
  token_ = body["access_token"].get<std::string>();
  refresh_after_ = requested_at + std::chrono::seconds(expires_in - margin);
  return token_;
}

}  // namespace skiff::compute_aks
