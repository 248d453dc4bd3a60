// SPDX-License-Identifier: Apache-2.0
// The default rollout policy: Azure ML's controlled rollout. 1 to 6 versions,
// traffic percentiles 0-100 summing to at most 100, exactly one default
// (unallocated traffic goes to it), at most one control.
#pragma once

#include "skiff/rollout_policy.h"

namespace skiff {

class TrafficSplitPolicy final : public RolloutPolicy {
 public:
  static constexpr int kMaxVersions = 6;

  Status Validate(const std::vector<VersionSpec>& versions) const override;
  StatusOr<RoutingTable> Route(const std::vector<VersionStatus>& versions) const override;
  RolloutAction NextAction(const std::vector<VersionStatus>& versions) const override;
};

}  // namespace skiff
