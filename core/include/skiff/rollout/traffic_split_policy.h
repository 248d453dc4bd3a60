// SPDX-License-Identifier: Apache-2.0
// The default rollout policy ("builtin" for `rollout start --policy`): Azure
// ML's controlled rollout. 1 to 6 versions, traffic percentiles 0-100
// summing to at most 100, exactly one default (unallocated traffic goes to
// it), at most one control; progressive rollouts step through their plan
// while the candidate's error rate and p99 stay within the limits.
#pragma once

#include "skiff/rollout_policy.h"

namespace skiff {

class TrafficSplitPolicy final : public RolloutPolicy {
 public:
  static constexpr int kMaxVersions = 6;

  Status Validate(const std::vector<VersionSpec>& versions) const override;
  StatusOr<RoutingTable> Route(const std::vector<VersionStatus>& versions) const override;
  using RolloutPolicy::NextAction;
  // Without a plan: load before drain, unload once drained. With one: the
  // built-in progressive gates (BuiltinProgressiveAction, docs/rollout.md).
  RolloutAction NextAction(const RolloutInput& input) const override;
};

}  // namespace skiff
