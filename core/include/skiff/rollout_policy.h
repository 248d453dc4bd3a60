// SPDX-License-Identifier: Apache-2.0
// RolloutPolicy: controlled rollout as a pure function (TensorFlow Serving's
// AspiredVersionPolicy shape). The router feeds it the states of all versions
// of an endpoint and applies what it returns: a routing table for requests
// and the next lifecycle action (load, drain, unload). A progressive rollout
// (`skiff endpoint rollout start`, docs/rollout.md) feeds it the same states
// plus the rollout's plan, its current step, the router's per-version
// measurements over that step's window and the clock, and applies the next
// traffic action (hold, step, roll back, succeed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "skiff/plugin_abi.h"
#include "skiff/status.h"

namespace skiff {

// Azure ML's version types.
enum class VersionType : int32_t { kTreatment = 0, kControl = 1 };

// What the user asked for one endpoint version.
struct VersionSpec {
  std::string name;
  int32_t traffic_percentile = 0;  // 0-100; the sum over versions is at most 100
  bool is_default = false;         // receives unallocated traffic; exactly one
  VersionType type = VersionType::kTreatment;  // at most one control
};

// Where a version is in its life on the data plane.
enum class VersionState : int32_t {
  kAbsent = 0,    // wanted but nothing loaded yet
  kLoading = 1,   // being loaded and warmed
  kReady = 2,
  kDraining = 3,  // no new requests; finishing in-flight ones
  kFailed = 4,
};

struct VersionStatus {
  VersionSpec spec;
  VersionState state = VersionState::kAbsent;
  bool wanted = true;       // false once deleted from the endpoint's config
  int64_t in_flight = 0;    // requests currently being served
  // False while the version cannot be reached: on a router, its upstream
  // server did not answer the readiness probe. Loaded and ready, but it
  // takes no drawn traffic until it answers again.
  bool reachable = true;
};

// Requests are routed by drawing u in [0, 100) and taking the first entry
// whose cumulative upper bound exceeds u.
struct RoutingTable {
  struct Entry {
    std::string version;
    double upper = 0;  // cumulative percentage, last entry is 100
  };
  std::vector<Entry> entries;
  std::string default_version;

  // The version for a draw u in [0, 100). Empty when the table is empty.
  const std::string& Pick(double u) const;
};

// One version's figures over the current step's window, from the router's
// own metrics (skiff_requests_total and skiff_request_duration_seconds).
struct VersionMeasurement {
  std::string version;
  int64_t requests = 0;  // answered in the window
  int64_t errors = 0;    // of them 5xx, the 504 of a timeout included
  // Estimated from the duration histogram's buckets; empty without requests.
  std::optional<double> p99_ms;
};

// What `rollout start` asked for. Checked by ValidateProgressivePlan().
struct ProgressivePlan {
  std::string candidate;             // the version being promoted
  std::vector<int32_t> steps;        // its traffic per step: increasing, 1-100
  int64_t step_interval_ms = 60000;  // each step holds at least this long
  double max_error_rate = 0.01;      // errors / requests, 0-1
  std::optional<double> max_p99_ms;  // no latency gate when empty
  int64_t min_requests = 100;        // a step passes only with this many
  // With it the limits are added to the control's figures over the same
  // window (its error rate, its p99) instead of standing alone.
  bool compare_to_control = false;
  std::string control;               // the version compared with ("" = none)
  int32_t start_traffic = 0;         // the candidate's share before step 0
};

// Where a progressive rollout is; changed only by applying an action.
struct ProgressiveProgress {
  int32_t step = 0;              // index into plan.steps, already applied
  int64_t step_started_ms = 0;   // when that step's traffic took effect
  bool paused = false;
};

// Everything NextAction looks at. `plan` empty: no progressive rollout, only
// lifecycle actions (load, drain, unload).
struct RolloutInput {
  std::vector<VersionStatus> versions;
  std::optional<ProgressivePlan> plan;
  ProgressiveProgress progress;
  std::vector<VersionMeasurement> measurements;
  int64_t now_ms = 0;  // the caller's clock (ms since the Unix epoch)
};

struct RolloutAction {
  enum class Kind : int32_t {
    kNone = 0,
    kLoad = 1,
    kDrain = 2,
    kUnload = 3,
    // Progressive rollout (input.plan set):
    kHold = 4,        // stay on the step; `reason` says what it waits for
    kSetTraffic = 5,  // move the candidate to plan.steps[step]
    kRollBack = 6,    // a gate was breached: back to plan.start_traffic at once
    kSucceed = 7,     // the last step passed its gates
  };
  Kind kind = Kind::kNone;
  std::string version;
  int32_t step = 0;                // kSetTraffic: the step to move to
  int32_t traffic_percentile = 0;  // kSetTraffic/kRollBack: the candidate's share
  // kRollBack (and kHold on too few requests): "errorRate", "p99Ms",
  // "minRequests" or "versionState"; the figure measured and its limit.
  std::string gate;
  std::optional<double> observed;
  std::optional<double> limit;
  int64_t requests = 0;  // the candidate's requests in the window
  std::string reason;    // one human line
};

class RolloutPolicy {
 public:
  static constexpr uint32_t kPluginKind = SKIFF_PLUGIN_KIND_ROLLOUT;

  virtual ~RolloutPolicy();

  // Checks a desired set of versions (count, percentages, default, control).
  // Threading: pure; may be called concurrently.
  virtual Status Validate(const std::vector<VersionSpec>& versions) const = 0;

  // Routing decisions for the current states. Traffic meant for a version
  // that is not Ready or not reachable goes to the default (or, when that is
  // the one that cannot serve, the others' shares scale up); kUnavailable if
  // no version can serve. Threading: pure; may be called concurrently.
  virtual StatusOr<RoutingTable> Route(const std::vector<VersionStatus>& versions) const = 0;

  // The next action for the inputs: without input.plan the next lifecycle
  // step (kLoad/kDrain/kUnload), or kNone when the endpoint is where it
  // should be; with a plan the next traffic action of the progressive
  // rollout (kHold/kSetTraffic/kRollBack/kSucceed). Same input, same answer:
  // it reads no clock, file or network. Threading: pure; may be called
  // concurrently.
  virtual RolloutAction NextAction(const RolloutInput& input) const = 0;

  // The lifecycle step for `versions` alone (NextAction without a plan).
  RolloutAction NextAction(const std::vector<VersionStatus>& versions) const {
    RolloutInput input;
    input.versions = versions;
    return NextAction(input);
  }
};

// kInvalidArgument naming the `rollout start` flag and the fix: steps not
// increasing or outside 1-100, an interval or limit out of range. Version
// names are checked by the caller against the endpoint.
Status ValidateProgressivePlan(const ProgressivePlan& plan);

// The built-in progressive decision (what TrafficSplitPolicy::NextAction
// returns with a plan); exported so other policies can build on it.
RolloutAction BuiltinProgressiveAction(const RolloutInput& input);

}  // namespace skiff
