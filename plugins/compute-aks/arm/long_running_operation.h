// SPDX-License-Identifier: Apache-2.0
// Following an ARM long-running operation (PUT/DELETE answered 201/202):
//   1. Azure-AsyncOperation header: GET it until "status" is Succeeded,
//      Failed or Canceled (error code and message surfaced); after a PUT,
//      GET the resource for its final state.
//   2. else Location header: GET it while it answers 202; any 2xx ends it.
//   3. else (PUT only): GET the resource until properties.provisioningState
//      is terminal.
// Between polls: the server's Retry-After (seconds, HTTP date, or the ms
// headers), else the default interval; garbage falls back to the default.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "arm/arm_client.h"

namespace skiff::compute_aks {

struct LroOptions {
  std::chrono::milliseconds default_interval{15 * 1000};
  std::chrono::milliseconds timeout{60 * 60 * 1000};
};

// Called with the operation's state after each poll ("InProgress", ...).
using ProgressFn = std::function<void(const std::string& message)>;

// `resource_path`: the resource with ?api-version (for the final GET).
// Returns the final response (the resource after a PUT). Failed ->
// kAborted, Canceled -> kCancelled, timeout -> kDeadlineExceeded.
StatusOr<HttpResponse> FollowOperation(ArmClient& arm, const std::string& method,
                                       const std::string& resource_path,
                                       const HttpResponse& initial, const LroOptions& options,
                                       const ProgressFn& progress);

}  // namespace skiff::compute_aks
