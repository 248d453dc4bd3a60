// SPDX-License-Identifier: Apache-2.0
#include "api_error.h"

#include <nlohmann/json.hpp>

namespace skiff::compute_aks::kube {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ApiStatus ParseApiStatus(int http_status, const std::string& body) {
  ApiStatus out;
  out.code = http_status;
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || Str(j, "kind") != "Status") {
    out.message = body.substr(0, 512);
    return out;
  }
  out.reason = Str(j, "reason");
  out.message = Str(j, "message");
  auto code = j.find("code");
  if (code != j.end() && code->is_number_integer()) {
    const auto c = code->get<int64_t>();
    if (c >= 100 && c <= 599) out.code = static_cast<int>(c);
  }
  auto details = j.find("details");
  if (details != j.end() && details->is_object()) {
    auto causes = details->find("causes");
    if (causes != details->end() && causes->is_array()) {
      for (const auto& c : *causes) {
        out.causes.push_back({Str(c, "reason"), Str(c, "message"), Str(c, "field")});
      }
    }
  }
  return out;
}

Status ApiError(int http_status, const std::string& body, const std::string& what) {
  const ApiStatus s = ParseApiStatus(http_status, body);
  std::string message = what + ": HTTP " + std::to_string(http_status);
  if (!s.reason.empty()) message += " " + s.reason;
  if (!s.message.empty()) message += ": " + s.message;
  bool manager_conflict = false;
  for (const auto& cause : s.causes) {
    if (cause.reason == "FieldManagerConflict") manager_conflict = true;
  }
  if (manager_conflict) {
    message += " [fields owned by another manager:";
    for (const auto& cause : s.causes) {
      if (cause.reason != "FieldManagerConflict") continue;
      message += " " + cause.field + " (" + cause.message + ");";
    }
    message +=
        " skiff does not force-apply by default: change the field through the manager "
        "that owns it, drop it from skiff's object, or apply with force]";
  } else if (!s.causes.empty() && http_status == 422) {
    message += " [";
    for (const auto& cause : s.causes) message += cause.field + ": " + cause.message + "; ";
    message += "]";
  }
  switch (http_status) {
    case 400:
    case 415:
    case 422:
      return InvalidArgument(message);
    case 401:
      return Unauthenticated(message + " (check the kubeconfig's credentials)");
    case 403:
      return PermissionDenied(message);
    case 404:
      return NotFound(message);
    case 409:
      return Status(StatusCode::kAborted, message);
    case 429:
      return ResourceExhausted(message + " (the API server kept asking to slow down)");
    default:
      return Unavailable(message);
  }
}

}  // namespace skiff::compute_aks::kube
