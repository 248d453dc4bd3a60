// SPDX-License-Identifier: Apache-2.0
// One entry of an endpoint's rollout history: what a progressive rollout
// (`skiff endpoint rollout start`) decided and when. The controller appends
// one JSON line per decision to the endpoint's rollout history,
// `<workspace>/rollouts/<endpoint>.jsonl` on every target (the rollout's
// state lives in the workspace, docs/rollout.md); `skiff endpoint report`
// reads them back to draw the steps and gate decisions. This header is the one owner of that line's
// shape, so writer and reader cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff {

enum class RolloutEventKind : int32_t {
  kStarted = 0,    // the plan was accepted; traffic_percentile is the first step
  kStepped = 1,    // a gate passed and the candidate moved to the next step
  kHeld = 2,       // a step's interval passed without enough requests
  kFailed = 3,     // a gate was breached; traffic went back to where it started
  kSucceeded = 4,  // the last step passed
  kPaused = 5,
  kResumed = 6,
  kAborted = 7,    // stopped by the user; traffic went back to where it started
};

// "started", "stepped", ... (the JSON spelling); kInvalidArgument naming
// the accepted values for anything else.
std::string_view RolloutEventKindName(RolloutEventKind kind);
StatusOr<RolloutEventKind> ParseRolloutEventKind(std::string_view name);

struct RolloutEvent {
  std::string time;      // RFC 3339 UTC with milliseconds, "2026-12-06T17:02:11.318Z"
  std::string endpoint;
  std::string version;   // the candidate
  RolloutEventKind kind = RolloutEventKind::kStarted;
  int32_t step = 0;                 // index into the plan's steps
  int32_t traffic_percentile = 0;   // the candidate's share after this event
  // For kFailed (and kStepped, for the record): which gate, what was
  // measured and the limit. gate is "errorRate", "p99Ms" or "minRequests".
  std::string gate;
  std::optional<double> observed;
  std::optional<double> limit;
  int64_t requests = 0;             // the candidate's requests in the window
  std::string reason;               // one human line; never a secret
};

// One line, no trailing newline. Keys: time, endpoint, version, event, step,
// trafficPercentile, and gate/observed/limit/requests/reason when set.
std::string RolloutEventToJsonLine(const RolloutEvent& event);
// kInvalidArgument naming the key that is missing or of the wrong type.
StatusOr<RolloutEvent> ParseRolloutEventLine(std::string_view line);

}  // namespace skiff
