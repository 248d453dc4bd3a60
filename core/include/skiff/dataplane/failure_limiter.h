// SPDX-License-Identifier: Apache-2.0
// FailureLimiter: per-client-address throttling of failed authentications on
// the data plane. After `max_failures` failures from one client within
// `window`, that client is blocked for `block_for`; the caller answers 429 with
// `Retry-After: <RetryAfterSeconds()>` without even looking at the credential.
// Other clients are unaffected. Memory is bounded: at most `max_tracked_clients`
// addresses are remembered, the least recently failing ones are forgotten first.
//
// Part of the data plane (skiff_dataplane), not of the auth plugin: it guards
// whatever plugin checks the credential. Standard library only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace skiff::dataplane {

class FailureLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    // Failures from one client that trigger a block (default 20).
    int max_failures = 20;
    // The failures must fall within this window, counted from the first one
    // (default 10 s). A window that passes without a block starts afresh.
    std::chrono::seconds window{10};
    // How long a blocked client stays blocked (default: the window, 10 s).
    std::chrono::seconds block_for{10};
    // Upper bound on remembered addresses, over all shards (default 65536).
    std::size_t max_tracked_clients = 65536;
    // Independent mutex-guarded shards (default 16); rounded up to >= 1.
    std::size_t shards = 16;
    // Time source; default Clock::now. Injected by tests.
    std::function<Clock::time_point()> now;
  };

  FailureLimiter();  // default Options
  explicit FailureLimiter(Options options);
  ~FailureLimiter();
  FailureLimiter(const FailureLimiter&) = delete;
  FailureLimiter& operator=(const FailureLimiter&) = delete;

  // 0 when `client` may try to authenticate, otherwise the whole seconds it
  // must wait (>= 1), for the Retry-After header.
  // Threading: may be called concurrently with every method.
  int64_t RetryAfterSeconds(std::string_view client) const;

  // Records one failed authentication from `client`. Returns what
  // RetryAfterSeconds() would return right after it.
  // Threading: may be called concurrently with every method.
  int64_t RecordFailure(std::string_view client);

  // Number of addresses currently remembered (for tests and metrics).
  // Threading: may be called concurrently; the figure is approximate while
  // other threads record failures.
  std::size_t TrackedClients() const;

 private:
  struct Shard;
  Shard& ShardFor(std::string_view client) const;
  Clock::time_point Now() const;

  Options options_;
  std::size_t per_shard_cap_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace skiff::dataplane
