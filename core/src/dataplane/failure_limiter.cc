// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/failure_limiter.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace skiff::dataplane {

namespace {

struct Entry {
  std::string client;
  FailureLimiter::Clock::time_point window_start;
  int failures = 0;
  FailureLimiter::Clock::time_point blocked_until;  // epoch (min) when not blocked
};

int64_t CeilSeconds(FailureLimiter::Clock::duration d) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  int64_t s = duration_cast<seconds>(d).count();
  if (seconds(s) < d) ++s;
  return std::max<int64_t>(s, 1);
}

}  // namespace

struct FailureLimiter::Shard {
  mutable std::mutex mu;
  // Guarded by mu. Most recently failing client first; the back is evicted.
  std::list<Entry> lru;
  // Guarded by mu. Keys view the strings owned by the list nodes (stable).
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
};

FailureLimiter::FailureLimiter() : FailureLimiter(Options{}) {}

FailureLimiter::FailureLimiter(Options options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return Clock::now(); };
  options_.shards = std::max<std::size_t>(options_.shards, 1);
  options_.max_failures = std::max(options_.max_failures, 1);
  per_shard_cap_ = std::max<std::size_t>(options_.max_tracked_clients / options_.shards, 1);
  shards_.reserve(options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

FailureLimiter::~FailureLimiter() = default;

FailureLimiter::Clock::time_point FailureLimiter::Now() const { return options_.now(); }

FailureLimiter::Shard& FailureLimiter::ShardFor(std::string_view client) const {
  return *shards_[std::hash<std::string_view>{}(client) % shards_.size()];
}

int64_t FailureLimiter::RetryAfterSeconds(std::string_view client) const {
  const Clock::time_point now = Now();
  Shard& shard = ShardFor(client);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.index.find(client);
  if (it == shard.index.end()) return 0;
  const Entry& e = *it->second;
  return e.blocked_until > now ? CeilSeconds(e.blocked_until - now) : 0;
}

int64_t FailureLimiter::RecordFailure(std::string_view client) {
  const Clock::time_point now = Now();
  Shard& shard = ShardFor(client);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.index.find(client);
  if (it == shard.index.end()) {
    if (shard.lru.size() >= per_shard_cap_) {
      shard.index.erase(shard.lru.back().client);
      shard.lru.pop_back();
    }
    shard.lru.push_front(Entry{std::string(client), now, 0, Clock::time_point::min()});
    it = shard.index.emplace(shard.lru.front().client, shard.lru.begin()).first;
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  }
  Entry& e = *it->second;
  if (e.blocked_until > now) return CeilSeconds(e.blocked_until - now);
  if (now - e.window_start >= options_.window) {
    e.window_start = now;
    e.failures = 0;
  }
  if (++e.failures >= options_.max_failures) {
    e.blocked_until = now + options_.block_for;
    e.failures = 0;
    e.window_start = e.blocked_until;
    return CeilSeconds(e.blocked_until - now);
  }
  return 0;
}

std::size_t FailureLimiter::TrackedClients() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    n += shard->lru.size();
  }
  return n;
}

}  // namespace skiff::dataplane
