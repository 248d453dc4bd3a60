// SPDX-License-Identifier: Apache-2.0
// A tiny rollout plugin for rollout_test.cc (`--policy strict`): the
// built-in policy's routing and lifecycle, but its progressive decision
// rolls back on the first error the candidate answers, whatever the limits.
// It shows a policy is chosen by name through the rollout plugin kind.
#include "skiff/plugin_export.h"
#include "skiff/rollout_policy.h"

namespace {

class StrictPolicy final : public skiff::RolloutPolicy {
 public:
  skiff::Status Validate(const std::vector<skiff::VersionSpec>&) const override {
    return skiff::OkStatus();
  }
  skiff::StatusOr<skiff::RoutingTable> Route(
      const std::vector<skiff::VersionStatus>&) const override {
    return skiff::Unimplemented("the strict test policy does not route");
  }
  skiff::RolloutAction NextAction(const skiff::RolloutInput& input) const override {
    if (input.plan) {
      for (const skiff::VersionMeasurement& m : input.measurements) {
        if (m.version == input.plan->candidate && m.errors > 0) {
          skiff::RolloutAction a;
          a.kind = skiff::RolloutAction::Kind::kRollBack;
          a.version = m.version;
          a.traffic_percentile = input.plan->start_traffic;
          a.gate = "strict";
          a.observed = static_cast<double>(m.errors);
          a.limit = 0;
          a.requests = m.requests;
          a.reason = "the strict policy allows no error";
          return a;
        }
      }
      return skiff::BuiltinProgressiveAction(input);
    }
    return {};
  }
};

skiff::StatusOr<std::unique_ptr<skiff::RolloutPolicy>> Make(const std::string&) {
  return std::unique_ptr<skiff::RolloutPolicy>(new StrictPolicy());
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::RolloutPolicy, "strict", "0.1.0", "test rollout policy", Make)
