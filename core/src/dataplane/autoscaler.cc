// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/autoscaler.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>

namespace skiff::dataplane {

int DesiredReplicas(int current, double utilisation_percent, const config::AutoScaler& scaler) {
  current = std::max(current, 1);
  const double ratio = utilisation_percent / std::max(scaler.target_utilization, 1);
  int desired = current;
  if (std::abs(ratio - 1.0) > 0.1) desired = static_cast<int>(std::ceil(current * ratio - 1e-9));
  return std::clamp(desired, scaler.min_replicas,
                    std::max(scaler.min_replicas, scaler.max_replicas));
}

Autoscaler::Autoscaler(const config::AutoScaler& scaler, int per_replica, Versions versions,
                       Report report)
    : scaler_(scaler),
      per_replica_(std::max(per_replica, 1)),
      versions_(std::move(versions)),
      report_(std::move(report)),
      thread_([this] { Loop(); }) {}

Autoscaler::~Autoscaler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Autoscaler::Loop() {
  pthread_setname_np(pthread_self(), "skiff-autoscale");  // docs/architecture.md
  using Clock = std::chrono::steady_clock;
  const auto period =
      std::chrono::milliseconds(1000LL * std::max(scaler_.refresh_period_in_seconds, 1));
  const auto sample = period / 20;
  auto next_decision = Clock::now() + period;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, sample, [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    for (const auto& version : versions_()) {
      ScoringPool& pool = version->pool();
      auto& [sum, count] = samples_[version->name()];
      sum += static_cast<double>(pool.in_flight()) / std::max(pool.workers(), 1);
      ++count;
    }
    if (Clock::now() >= next_decision) {
      Decide();
      next_decision = Clock::now() + period;
    }
    lock.lock();
  }
}

void Autoscaler::Decide() {
  for (const auto& version : versions_()) {
    ScoringPool& pool = version->pool();
    const auto it = samples_.find(version->name());
    if (it != samples_.end() && it->second.second > 0) {
      const double utilisation = 100.0 * it->second.first / it->second.second;
      const int replicas = (pool.workers() + per_replica_ - 1) / per_replica_;
      const int desired = DesiredReplicas(replicas, utilisation, scaler_);
      if (desired != replicas) pool.Resize(desired * per_replica_);
    }
    if (report_) report_(version->name(), pool.workers());
  }
  samples_.clear();
}

}  // namespace skiff::dataplane
