// SPDX-License-Identifier: Apache-2.0
#include "arm/arm_client.h"

#include <nlohmann/json.hpp>

#include "skiff/util/url.h"

namespace skiff::compute_aks {

ArmClient::ArmClient(std::string arm_endpoint, std::shared_ptr<TokenSource> tokens,
                     std::shared_ptr<RetrySender> sender)
    : endpoint_(std::move(arm_endpoint)), tokens_(std::move(tokens)), sender_(std::move(sender)) {
  auto url = ParseUrl(endpoint_);
  if (url.ok()) origin_ = url->Origin();
}

StatusOr<HttpResponse> ArmClient::Call(const std::string& method, const std::string& path_or_url,
                                       const std::string& body) {
  std::string url = path_or_url;
  if (path_or_url.rfind("/", 0) == 0) {
    url = endpoint_ + path_or_url;
  } else {
    SKIFF_ASSIGN_OR_RETURN(Url parsed, ParseUrl(path_or_url));
    if (parsed.Origin() != origin_) {
      return FailedPrecondition("ARM returned an operation URL on " + parsed.Origin() +
                                ", not on the ARM endpoint " + origin_ +
                                "; refusing to send the bearer token there");
    }
  }
  SKIFF_ASSIGN_OR_RETURN(HttpResponse response, CallOnce(method, url, body));
  if (response.status == 401 && tokens_->Invalidate()) return CallOnce(method, url, body);
  return response;
}

StatusOr<HttpResponse> ArmClient::CallOnce(const std::string& method, const std::string& url,
                                           const std::string& body) {
  return sender_->Send([&]() -> StatusOr<HttpRequest> {
    SKIFF_ASSIGN_OR_RETURN(std::string token, tokens_->Token());
    HttpRequest request{
        method, url, {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}}, body};
    if (!body.empty() || method == "PUT" || method == "POST") {
      request.headers.emplace_back("Content-Type", "application/json");
    }
    return request;
  });
}

std::string ArmErrorDetail(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  const auto& e = j["error"];
  std::string code =
      e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
  std::string message =
      e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

Status ArmError(const HttpResponse& response, const std::string& what) {
  StatusCode code = StatusCode::kUnknown;
  switch (response.status) {
    case 400:
      code = StatusCode::kInvalidArgument;
      break;
    case 401:
      code = StatusCode::kUnauthenticated;
      break;
    case 403:
      code = StatusCode::kPermissionDenied;
      break;
    case 404:
      code = StatusCode::kNotFound;
      break;
    case 409:
      code = StatusCode::kFailedPrecondition;
      break;
    case 429:
      code = StatusCode::kResourceExhausted;
      break;
    default:
      if (response.status >= 500) code = StatusCode::kUnavailable;
  }
  std::string detail = ArmErrorDetail(response.body);
  std::string message = what + ": HTTP " + std::to_string(response.status);
  if (!detail.empty()) message += " " + detail;
  if (response.status == 401) message += " (check the Azure credentials; see docs/compute-aks.md)";
  return Status(code, message);
}

}  // namespace skiff::compute_aks
