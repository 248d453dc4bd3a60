// SPDX-License-Identifier: Apache-2.0
#include "transport/retry_sender.h"

#include "transport/retry_after.h"

namespace skiff::compute_aks {

bool IsIdempotent(const std::string& method) {
  return method == "GET" || method == "PUT" || method == "DELETE" || method == "HEAD";
}

RetrySender::RetrySender(std::shared_ptr<HttpTransport> transport, std::shared_ptr<Clock> clock,
                         RetryOptions options)
    : transport_(std::move(transport)),
      clock_(std::move(clock)),
      options_(options),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {}

std::chrono::milliseconds RetrySender::NextBackoff(int attempt) {
  std::lock_guard<std::mutex> lock(rng_mu_);
  return FullJitterDelay(options_.backoff, attempt, rng_);
}

StatusOr<HttpResponse> RetrySender::Send(const std::function<StatusOr<HttpRequest>()>& make) {
  return Send(make, options_.total);
}

StatusOr<HttpResponse> RetrySender::Send(const std::function<StatusOr<HttpRequest>()>& make,
                                         std::chrono::milliseconds total) {
  const auto deadline = clock_->Now() + total;
  for (int attempt = 0;; ++attempt) {
    SKIFF_ASSIGN_OR_RETURN(HttpRequest request, make());
    StatusOr<HttpResponse> result = transport_->Send(request);
    const bool idempotent = IsIdempotent(request.method);
    bool retry = false;
    std::optional<std::chrono::milliseconds> server_delay;
    if (!result.ok()) {
      const StatusCode code = result.status().code();
      retry = code == StatusCode::kUnavailable || (code == StatusCode::kAborted && idempotent);
    } else {
      const int status = result->status;
      server_delay = ParseRetryAfter(result->headers, clock_->Now());
      if (status == 429 || status >= 500) {
        retry = idempotent || (status == 429 && server_delay.has_value());
      }
    }
    if (!retry) return result;
    const std::chrono::milliseconds delay = server_delay ? *server_delay : NextBackoff(attempt);
    if (clock_->Now() + delay > deadline) {
      if (!result.ok()) {
        return Status(result.status().code(), result.status().message() + " (gave up after " +
                                                  std::to_string(attempt + 1) + " attempts)");
      }
      return result;
    }
    clock_->Sleep(delay);
  }
}

}  // namespace skiff::compute_aks
