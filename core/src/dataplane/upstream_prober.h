// SPDX-License-Identifier: Apache-2.0
// UpstreamProber: the router's view of which upstream versions can take
// traffic. A thread asks every upstream version's GET /v2/health/ready
// (ProbeUpstreamReady, same host and port as its infer URL) each interval;
// a version whose probe fails is marked unreachable on the endpoint, which
// moves its drawn traffic to the others (Endpoint::SetReachable), until a
// probe succeeds again. Each change is logged to stderr (the server log).
//
// DataPlane::Apply runs one round on its own thread before it swaps in a new
// configuration (ProbeOnce), so a version added while its pods are not ready
// never gets drawn traffic, then starts a prober for the new version list.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "skiff/dataplane/endpoint.h"

namespace skiff::dataplane {

class UpstreamProber {
 public:
  struct Target {
    std::string version;
    std::string url;  // the version's infer URL
  };

  // Probes each target once, now, and marks the endpoint.
  static void ProbeOnce(Endpoint* endpoint, const std::vector<Target>& targets,
                        std::chrono::milliseconds timeout);

  // Starts probing every `interval` (the first round after one interval).
  UpstreamProber(Endpoint* endpoint, std::vector<Target> targets,
                 std::chrono::milliseconds interval);
  ~UpstreamProber();  // Stop()
  // Stops probing and joins the thread (at most one probe timeout). Idempotent.
  void Stop();

  const std::vector<Target>& targets() const { return targets_; }
  std::chrono::milliseconds interval() const { return interval_; }
  UpstreamProber(const UpstreamProber&) = delete;
  UpstreamProber& operator=(const UpstreamProber&) = delete;

  // A probe's timeout: the interval, at most 1 s.
  static std::chrono::milliseconds TimeoutFor(std::chrono::milliseconds interval);

 private:
  void Loop();

  Endpoint* const endpoint_;
  const std::vector<Target> targets_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace skiff::dataplane
