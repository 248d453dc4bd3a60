// SPDX-License-Identifier: Apache-2.0
// The uniform responses of the data plane when authentication fails. Every
// 401 is identical whatever the reason (unknown key, expired token, wrong
// audience...): the reason goes to the log, never to the client, so a caller
// learns nothing by probing.
#pragma once

namespace skiff::dataplane {

// 401: no, malformed or rejected credential.
inline constexpr int kUnauthorizedStatus = 401;
inline constexpr char kWwwAuthenticateHeader[] = "WWW-Authenticate";
inline constexpr char kWwwAuthenticateValue[] = "Bearer";
inline constexpr char kUnauthorizedContentType[] = "application/json";
inline constexpr char kUnauthorizedBody[] = "{\"error\":\"unauthorized\"}";

// 429: the client is blocked by FailureLimiter; Retry-After carries its answer.
inline constexpr int kTooManyRequestsStatus = 429;
inline constexpr char kRetryAfterHeader[] = "Retry-After";
inline constexpr char kTooManyRequestsBody[] = "{\"error\":\"too many failed authentications\"}";

}  // namespace skiff::dataplane
