#include "upstream_prober.h"

#include <algorithm>
#include <iostream>

#include "skiff/dataplane/upstream_model.h"

namespace skiff::dataplane {

void UpstreamProber::ProbeOnce(Endpoint* endpoint, const std::vector<Target>& targets,
                               std::chrono::milliseconds timeout) {
  for (const Target& t : targets) {
    const Status s = ProbeUpstreamReady(t.url, timeout);
    const bool was = endpoint->reachable(t.version);
    endpoint->SetReachable(t.version, s.ok());
    if (was == s.ok()) continue;
    std::cerr << "skiff-server: version '" << t.version << "' "
              << (s.ok() ? "is reachable again; it takes its traffic share"
                         : "is unreachable (" + s.message() +
                               "); its traffic share goes to the other versions")
              << std::endl;
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
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval_, [&] { return stop_; })) {
    lock.unlock();
    ProbeOnce(endpoint_, targets_, TimeoutFor(interval_));
    lock.lock();
  }
}

}  // namespace skiff::dataplane
