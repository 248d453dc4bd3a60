// SPDX-License-Identifier: Apache-2.0
// Turns an API server error reply (a metav1.Status body, or anything else)
// into a skiff Status that says what happened: the HTTP status, the
// Status reason and message, and for server-side apply conflicts the
// fields and the managers that own them.
#pragma once

#include <string>
#include <vector>

#include "skiff/status.h"

namespace skiff::compute_aks::kube {

struct ApiStatus {
  int code = 0;        // Status.code or the HTTP status
  std::string reason;  // "Conflict", "NotFound", "Invalid", "AlreadyExists", ...
  std::string message;
  struct Cause {
    std::string reason, message, field;
  };
  std::vector<Cause> causes;  // details.causes
};

// Parses a metav1.Status body; fields stay empty when the body is not one.
// Never throws (fuzzed: fuzz/kube_response_fuzzer.cc).
ApiStatus ParseApiStatus(int http_status, const std::string& body);

// The skiff Status for a non-2xx reply to `what` ("apply Deployment ns/x"):
// 400/422 kInvalidArgument, 401 kUnauthenticated, 403 kPermissionDenied,
// 404 kNotFound, 409 kAborted (conflict; for an apply conflict the message
// lists each field and the manager that owns it), 415 kInvalidArgument,
// 429 kResourceExhausted, 5xx and others kUnavailable.
Status ApiError(int http_status, const std::string& body, const std::string& what);

}  // namespace skiff::compute_aks::kube
