// SPDX-License-Identifier: Apache-2.0
// Progressive delivery with automatic rollback (`skiff endpoint rollout`,
// docs/rollout.md "Progressive delivery"): the SDK's types for it. The
// calls themselves are AksEndpoint::rollout_* (webservice.h).
//
// What runs the controller: `rollout_start` records the rollout in the
// workspace store, applies its first step, and spawns a detached
// `skiff endpoint rollout run -n EP` process, which holds the rollout's
// lease in the store, reads the router's metrics each poll, asks the
// rollout policy for the next action, applies it through update_version
// (so the store records traffic only once the target applied it), appends
// each decision to <workspace>/rollouts/<endpoint>.jsonl and exits when the
// rollout ends. `rollout_status` and `rollout_resume` start it again when
// its lease has expired or its process is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/rollout/rollout_state.h"
#include "skiff/rollout/version_metrics.h"
#include "skiff/status.h"

namespace skiff::sdk {

// Where the controller's time comes from, so tests drive it with a fake.
class Clock {
 public:
  virtual ~Clock();
  virtual int64_t NowMs() const = 0;  // ms since the Unix epoch
  virtual void SleepForMs(int64_t ms) = 0;
};
// The real clock (system_clock, this_thread::sleep_for).
Clock& SystemClock();

// Where the router's per-version metrics come from. The default reads the
// service's metrics endpoint (ServiceStatus::metrics_uri on the local
// target; on aks the router's metrics port through the Kubernetes API's
// service proxy, ComputeTarget::ReadMetrics).
class MetricsSource {
 public:
  virtual ~MetricsSource();
  virtual StatusOr<MetricsReading> Read() = 0;
};

// What `rollout start` takes (its flags).
struct RolloutOptions {
  std::string version_name;                        // --version-name: the candidate
  std::vector<int32_t> steps;                      // --steps 5,25,50,100
  std::chrono::milliseconds step_interval{60000};  // --step-interval 60s
  double max_error_rate = 0.01;                    // --max-error-rate (fraction)
  std::optional<double> max_p99_ms;                // --max-p99-ms
  int64_t min_requests = 100;                      // --min-requests
  bool compare_to_control = false;                 // --compare-to-control
  std::string policy = "builtin";                  // --policy: a rollout plugin's name
};

// "5,25,50,100" -> {5, 25, 50, 100}; kInvalidArgument naming --steps.
StatusOr<std::vector<int32_t>> ParseRolloutSteps(std::string_view text);
// "60s", "5m", "1h", "1500ms" -> ms; kInvalidArgument naming --step-interval.
StatusOr<std::chrono::milliseconds> ParseStepInterval(std::string_view text);

// What `rollout status` shows.
struct RolloutInfo {
  RolloutState state;
  int32_t traffic_percentile = 0;   // the candidate's share now (the store's record)
  std::string controller;           // "pid N" of the lease holder, "" when none
  bool controller_running = false;  // a holder with an unexpired lease that may still run
  bool controller_started = false;  // this call started one (revive)
};

struct RolloutControllerOptions {
  Clock* clock = nullptr;            // SystemClock() when null
  MetricsSource* metrics = nullptr;  // the service's own metrics when null
  int64_t lease_ttl_ms = 15000;      // renewed every poll
  int64_t poll_interval_ms = 1000;
  std::string owner;  // this process (the store's identity) when empty
};

}  // namespace skiff::sdk
