// SPDX-License-Identifier: Apache-2.0
#include "arm/managed_identity.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "skiff/util/debug_log.h"
#include "skiff/util/url.h"
#include "transport/retry_after.h"

namespace skiff::compute_aks {
namespace {

bool Retried(int status) {
  return status == 404 || status == 410 || status == 429 || (status >= 500 && status <= 599);
}

// expires_on is seconds since the epoch, as a number or a string; older
// App Service replies used a date, for which expires_in is the fallback.
std::chrono::system_clock::time_point ExpiresAt(const nlohmann::json& body,
                                                std::chrono::system_clock::time_point now) {
  const auto number = [&body](const char* key) -> std::optional<int64_t> {
    if (!body.contains(key)) return std::nullopt;
    const auto& v = body[key];
    if (v.is_number_integer()) return v.get<int64_t>();
    if (!v.is_string()) return std::nullopt;
    try {
      size_t used = 0;
      const std::string s = v.get<std::string>();
      const int64_t n = std::stoll(s, &used);
      if (used == s.size()) return n;
    } catch (...) {
    }
    return std::nullopt;
  };
  if (auto on = number("expires_on")) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(*on));
  }
  if (auto in = number("expires_in")) return now + std::chrono::seconds(*in);
  return now + std::chrono::minutes(5);  // unknown: ask again soon
}

std::string ErrorDetail(const HttpResponse& r) {
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  std::string detail = "HTTP " + std::to_string(r.status);
  if (body.is_object()) {
    for (const char* key : {"error", "error_description", "message"}) {
      if (body.contains(key) && body[key].is_string()) {
        const std::string text = body[key].get<std::string>();
        detail += " " + text.substr(0, text.find_first_of("\r\n"));
      }
    }
  }
  return detail;
}

}  // namespace

std::shared_ptr<HttpTransport> MakeMetadataTransport() {
  net::HttpClientOptions options;
  options.allow_plain_http_to_any_host = true;
  options.timeout = std::chrono::seconds(10);
  return MakeHttpClientTransport(std::move(options));
}

StatusOr<AccessToken> FetchManagedIdentityToken(const ManagedIdentityRequest& request,
                                                HttpTransport& transport, Clock& clock,
                                                const ManagedIdentityRetry& retry) {
  const bool app_service = !request.identity_header.empty();
  HttpRequest http;
  http.method = "GET";
  if (app_service) {
    http.url = request.endpoint + (request.endpoint.find('?') == std::string::npos ? "?" : "&") +
               "api-version=2019-08-01";
    http.headers.emplace_back("X-IDENTITY-HEADER", request.identity_header);
  } else {
    http.url = request.endpoint + "/metadata/identity/oauth2/token?api-version=2018-02-01";
    http.headers.emplace_back("Metadata", "true");
  }
  http.url += "&resource=" + FormEncode(request.resource);
  if (!request.client_id.empty()) http.url += "&client_id=" + FormEncode(request.client_id);
  const std::string what = std::string("managed identity token request to ") +
                           (app_service ? "IDENTITY_ENDPOINT " : "the instance metadata service ") +
                           request.endpoint;
  const auto first = clock.Now();
  for (int attempt = 0;; ++attempt) {
    DebugLog(what + " (attempt " + std::to_string(attempt + 1) + ")");
    auto reply = transport.Send(http);
    if (!reply.ok()) {
      return Unauthenticated(what + " failed: " + reply.status().message() +
                             "; managed identity works only on an Azure VM, scale set, pod or "
                             "App Service that has one (unset SKIFF_AZURE_MANAGED_IDENTITY "
                             "elsewhere)");
    }
    if (reply->status == 200) {
      auto body = nlohmann::json::parse(reply->body, nullptr, false);
      if (!body.is_object() || !body.contains("access_token") ||
          !body["access_token"].is_string()) {
        return Unauthenticated(what + ": the reply has no access_token");
      }
      return AccessToken{body["access_token"].get<std::string>(), ExpiresAt(body, clock.Now())};
    }
    const bool gone_window = reply->status == 410 && clock.Now() - first < retry.keep_trying_on_410;
    if (!Retried(reply->status) || (attempt >= retry.max_retries && !gone_window)) {
      std::string hint =
          reply->status == 400
              ? "; is the identity assigned to this machine (AZURE_CLIENT_ID names a "
                "user-assigned one)?"
              : "";
      return Unauthenticated(
          what + " failed: " + ErrorDetail(*reply) +
          (attempt > 0 ? " after " + std::to_string(attempt + 1) + " attempts" : "") + hint);
    }
    std::chrono::milliseconds delay = retry.initial * (1LL << std::min(attempt, 20));
    if (auto server = ParseRetryAfter(reply->headers, clock.Now()))
      delay = std::max(delay, *server);
    clock.Sleep(delay);
  }
}

}  // namespace skiff::compute_aks
