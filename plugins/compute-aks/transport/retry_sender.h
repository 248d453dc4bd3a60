// SPDX-License-Identifier: Apache-2.0
// RetrySender: sends a request through an HttpTransport and retries what
// is safe to retry, within a total time bound.
//
//  - 429 and 5xx: GET, PUT, DELETE (idempotent) are retried; POST only on
//    429 that carries a Retry-After (the server says it did nothing).
//  - Transport failures: retried for any method when nothing was sent
//    (kUnavailable), for idempotent methods only when the connection broke
//    mid-exchange (kAborted).
//  - The delay is the server's (Retry-After / retry-after-ms /
//    x-ms-retry-after-ms) when given, else capped exponential backoff with
//    full jitter. A delay that would pass the deadline ends the retries.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>

#include "transport/backoff.h"
#include "transport/clock.h"
#include "transport/http_transport.h"

namespace skiff::compute_aks {

struct RetryOptions {
  BackoffOptions backoff;
  std::chrono::milliseconds total{10 * 60 * 1000};  // per call, all attempts together
  uint64_t seed = 0;                                // 0: random
};

class RetrySender {
 public:
  RetrySender(std::shared_ptr<HttpTransport> transport, std::shared_ptr<Clock> clock,
              RetryOptions options);

  // `make` builds each attempt afresh (a token may be renewed in between).
  // Returns the last response, which may be an error status: the caller
  // interprets it. Threading: safe to call concurrently.
  StatusOr<HttpResponse> Send(const std::function<StatusOr<HttpRequest>()>& make);
  // The same within `total` (all attempts together) instead of the
  // options' bound: for a look that must not stall (a list of services).
  StatusOr<HttpResponse> Send(const std::function<StatusOr<HttpRequest>()>& make,
                              std::chrono::milliseconds total);

  Clock& clock() { return *clock_; }

 private:
  std::chrono::milliseconds NextBackoff(int attempt);

  std::shared_ptr<HttpTransport> transport_;
  std::shared_ptr<Clock> clock_;
  const RetryOptions options_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // guarded by rng_mu_
};

// True for methods whose repetition has the effect of one call.
bool IsIdempotent(const std::string& method);

}  // namespace skiff::compute_aks
