// SPDX-License-Identifier: Apache-2.0
#include "upstream_prober.h"

#include <pthread.h>

#include <algorithm>
#include <iostream>
#include <thread>
#include <vector>

#include "skiff/dataplane/upstream_model.h"
#include "skiff/util/log.h"

namespace skiff::dataplane {

void UpstreamProber::ProbeOnce(Endpoint* endpoint, const std::vector<Target>& targets,
                               std::chrono::milliseconds timeout) {
  // All at once: one version whose pod swallows connections (a dropped SYN,
  // a server that never answers) costs a round one timeout, not one per
  // version behind it, so a version that came up is not kept waiting (an
  // endpoint has at most 6 versions, so at most 6 short-lived threads).
  std::vector<Status> results(targets.size());
  std::vector<std::thread> probes;
  probes.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    probes.emplace_back(
        [&results, &targets, i, timeout] { results[i] = ProbeUpstreamReady(targets[i].url, timeout); });
  }
  for (std::thread& probe : probes) probe.join();
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    const Status& s = results[i];
    const bool was = endpoint->reachable(t.version);
    endpoint->SetReachable(t.version, s.ok());
    if (was == s.ok()) continue;
    if (s.ok()) {
      log::Info("version '" + t.version + "' is reachable again; it takes its traffic share");
    } else {
      log::Warning("version '" + t.version + "' is unreachable (" + s.message() +
                   "); its traffic share goes to the other versions");
    }
  }
}

std::chrono::milliseconds UpstreamProber::TimeoutFor(std::chrono::milliseconds interval) {
  return std::min(interval, std::chrono::milliseconds(1000));
}

UpstreamProber::UpstreamProber(Endpoint* endpoint, std::vector<Target> targets,
                               std::chrono::milliseconds interval)
    : endpoint_(endpoint), targets_(std::move(targets)), interval_(interval) {
  if (!targets_.empty()) thread_ = std::thread([this] { Loop(); });
}

UpstreamProber::~UpstreamProber() { Stop(); }

void UpstreamProber::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UpstreamProber::Loop() {
  pthread_setname_np(pthread_self(), "skiff-probe");  // docs/architecture.md
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval_, [&] { return stop_; })) {
    lock.unlock();
    ProbeOnce(endpoint_, targets_, TimeoutFor(interval_));
    lock.lock();
  }
}

}  // namespace skiff::dataplane
