// SPDX-License-Identifier: Apache-2.0
// A progressive rollout as the workspace store keeps it (one row per
// endpoint, store::RolloutRecord.state_json): the plan, where it is, how it
// ended, and the metrics reading its current step's window starts from.
// This header is the one owner of that JSON; the controller (sdk) writes it,
// `rollout status` and `endpoint report` read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "skiff/rollout/version_metrics.h"
#include "skiff/rollout_policy.h"
#include "skiff/status.h"

namespace skiff {

enum class RolloutStatus : int32_t {
  kRunning = 0,
  kPaused = 1,
  kSucceeded = 2,
  kFailed = 3,
  kAborted = 4,
};

// "Running", "Paused", ... (as `rollout status` prints them).
std::string_view RolloutStatusName(RolloutStatus status);
// True for Running and Paused: the rollout still owns the candidate's traffic.
inline bool RolloutIsActive(RolloutStatus s) {
  return s == RolloutStatus::kRunning || s == RolloutStatus::kPaused;
}

struct RolloutState {
  std::string endpoint;
  std::string policy = "builtin";  // `--policy`: the rollout plugin's name
  ProgressivePlan plan;
  ProgressiveProgress progress;  // progress.paused mirrors status == kPaused
  RolloutStatus status = RolloutStatus::kRunning;
  std::string started_time;   // RFC 3339 UTC
  std::string finished_time;  // set when it succeeded, failed or was aborted
  // Why it failed (kFailed): the gate, the figures and one line.
  std::string gate;
  std::optional<double> observed;
  std::optional<double> limit;
  std::string reason;
  // The reading the current step's window starts from; after a server
  // restart, the new server's zero (docs/rollout.md, "counter resets").
  MetricsReading window_start;
  // The interval passed without enough requests and that was recorded
  // (so the history gets one "held" line per step, not one per poll).
  bool held_recorded = false;
  // Failed or Aborted is recorded before the candidate's traffic goes back
  // to plan.start_traffic; this stays set until the target applied that, so
  // a controller stopped in between finishes the roll back when it starts.
  bool rollback_pending = false;
  // The step the policy passed to, recorded before its traffic goes to the
  // target and cleared once that step is recorded; -1 when none. A
  // controller stopped in between (on AKS the change waits minutes for the
  // Deployments, and the cluster may already serve the new share) leaves it
  // set, and the next controller applies that same share (never the one
  // after it) and records the step, so the store and the target agree again.
  int32_t step_pending = -1;
};

std::string RolloutStateToJson(const RolloutState& state);
// kInvalidArgument naming the key that is missing or of the wrong type.
StatusOr<RolloutState> ParseRolloutState(std::string_view json);

}  // namespace skiff
