// SPDX-License-Identifier: Apache-2.0
// CORS for browser clients (deploymentConfig `cors.allowedOrigins`,
// docs/deployment-config.md#cors). A preflight (OPTIONS) is answered from
// its header alone, before and without auth: it carries no credential, and
// answering it costs no more than any header-only route. Actual requests are
// authenticated as always; CORS only lets the page read the answer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "skiff/dataplane/http_server.h"

namespace skiff::dataplane {

// The request's Origin if `allowed` lets that page read the response (it
// holds the origin, or "*"); nullopt without an Origin header or when the
// origin is not allowed.
std::optional<std::string> AllowedOrigin(const http::request_header<>& header,
                                         const std::vector<std::string>& allowed);

// The answer to an OPTIONS request: 204 with the Access-Control-Allow-*
// headers for an allowed origin; 403 naming the setting for a preflight from
// any other page; 204 with `Allow` for a plain OPTIONS (no Origin).
HttpResponse Preflight(const http::request_header<>& header,
                       const std::vector<std::string>& allowed);

// Adds Access-Control-Allow-Origin (the origin itself, never "*", so a
// cached answer is right for one page only), Vary: Origin and the exposed
// response headers.
void AddCorsHeaders(const std::string& origin, HttpResponse* response);

}  // namespace skiff::dataplane
