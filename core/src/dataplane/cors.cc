// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/cors.h"

#include <algorithm>

#include "skiff/dataplane/request_stages.h"

namespace skiff::dataplane {
namespace {

// What a scoring page sends: the key or token, the body's type, and the
// version pin. Listed, not echoed from the request: a wildcard never covers
// Authorization.
constexpr char kAllowedHeaders[] = "Authorization, Content-Type, azureml-model-deployment";
constexpr char kAllowedMethods[] = "GET, POST, OPTIONS";
// A browser re-asks at most every 10 minutes (Chromium caps it at 2 hours).
constexpr char kMaxAgeSeconds[] = "600";

}  // namespace

std::optional<std::string> AllowedOrigin(const http::request_header<>& header,
                                         const std::vector<std::string>& allowed) {
  auto field = header.find(http::field::origin);
  if (field == header.end() || allowed.empty()) return std::nullopt;
  std::string origin(field->value());
  const bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
    return a == "*" || a == origin;
  });
  if (!ok) return std::nullopt;
  return origin;
}

HttpResponse Preflight(const http::request_header<>& header,
                       const std::vector<std::string>& allowed) {
  if (header.find(http::field::origin) == header.end()) {
    HttpResponse r = MakeResponse(http::status::no_content, "", "text/plain");
    r.set(http::field::allow, kAllowedMethods);
    return r;
  }
  auto origin = AllowedOrigin(header, allowed);
  if (!origin) {
    // The origin itself is not echoed: a page learns only that it is not
    // allowed, not which are.
    return ErrorResponse(http::status::forbidden,
                         "this origin may not call the service from a browser; add it to the "
                         "deployment config's cors.allowedOrigins");
  }
  HttpResponse r = MakeResponse(http::status::no_content, "", "text/plain");
  AddCorsHeaders(*origin, &r);
  r.set(http::field::access_control_allow_methods, kAllowedMethods);
  r.set(http::field::access_control_allow_headers, kAllowedHeaders);
  r.set(http::field::access_control_max_age, kMaxAgeSeconds);
  return r;
}

void AddCorsHeaders(const std::string& origin, HttpResponse* response) {
  response->set(http::field::access_control_allow_origin, origin);
  response->set(http::field::vary, "Origin");
  // The version that scored, and when to retry, readable by the page.
  response->set(http::field::access_control_expose_headers,
                std::string(kVersionHeader) + ", Retry-After");
}

}  // namespace skiff::dataplane
