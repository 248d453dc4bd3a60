// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/traffic_split_policy.h"

#include <set>

namespace skiff {
namespace {

RolloutAction Lifecycle(RolloutAction::Kind kind, const std::string& version) {
  RolloutAction a;
  a.kind = kind;
  a.version = version;
  return a;
}

}  // namespace

Status TrafficSplitPolicy::Validate(const std::vector<VersionSpec>& versions) const {
  if (versions.empty()) {
    return InvalidArgument("an endpoint needs at least one version; add one with create-version");
  }
  if (versions.size() > static_cast<size_t>(kMaxVersions)) {
    return InvalidArgument("an endpoint holds at most " + std::to_string(kMaxVersions) +
                           " versions, got " + std::to_string(versions.size()) +
                           "; delete a version first");
  }
  std::set<std::string> names;
  int sum = 0, defaults = 0, controls = 0;
  for (const VersionSpec& v : versions) {
    if (v.name.empty()) return InvalidArgument("version name must not be empty");
    if (!names.insert(v.name).second) {
      return InvalidArgument("version '" + v.name + "' appears twice; version names are unique");
    }
    if (v.traffic_percentile < 0 || v.traffic_percentile > 100) {
      return InvalidArgument("version '" + v.name + "': traffic_percentile must be 0-100, got " +
                             std::to_string(v.traffic_percentile));
    }
    sum += v.traffic_percentile;
    defaults += v.is_default ? 1 : 0;
    controls += v.type == VersionType::kControl ? 1 : 0;
  }
  if (sum > 100) {
    return InvalidArgument("traffic percentiles sum to " + std::to_string(sum) +
                           ", more than 100; lower some version's --traffic-percentile");
  }
  if (defaults != 1) {
    return InvalidArgument("exactly one version must be the default (--is-default), found " +
                           std::to_string(defaults));
  }
  if (controls > 1) {
    return InvalidArgument("at most one version may be the control (--is-control-version-type), found " +
                           std::to_string(controls));
  }
  return OkStatus();
}

StatusOr<RoutingTable> TrafficSplitPolicy::Route(const std::vector<VersionStatus>& versions) const {
  const VersionStatus* def = nullptr;
  for (const VersionStatus& v : versions) {
    if (v.wanted && v.spec.is_default) def = &v;
  }
  if (def == nullptr) return FailedPrecondition("the endpoint has no default version");
  // Only Ready, reachable versions receive traffic; what is meant for others
  // goes to the default so a loading or unreachable treatment never fails
  // requests.
  const auto serves = [](const VersionStatus& v) {
    return v.wanted && v.state == VersionState::kReady && v.reachable;
  };
  const bool default_ready = serves(*def);
  RoutingTable table;
  table.default_version = def->spec.name;
  double upper = 0;
  for (const VersionStatus& v : versions) {
    if (!serves(v) || &v == def) continue;
    if (v.spec.traffic_percentile <= 0) continue;
    upper += v.spec.traffic_percentile;
    table.entries.push_back({v.spec.name, upper});
  }
  if (!default_ready) {
    if (table.entries.empty()) {
      return Unavailable("no version of the endpoint is ready and reachable");
    }
    // Without a default that serves, scale the others' shares up to 100.
    const double scale = 100.0 / upper;
    for (auto& e : table.entries) e.upper *= scale;
    table.entries.back().upper = 100;
    return table;
  }
  table.entries.push_back({def->spec.name, 100});
  return table;
}

RolloutAction TrafficSplitPolicy::NextAction(const RolloutInput& input) const {
  if (input.plan) return BuiltinProgressiveAction(input);
  const std::vector<VersionStatus>& versions = input.versions;
  // Load before draining, so capacity never dips during a swap.
  for (const VersionStatus& v : versions) {
    if (v.wanted && v.state == VersionState::kAbsent) {
      return Lifecycle(RolloutAction::Kind::kLoad, v.spec.name);
    }
  }
  for (const VersionStatus& v : versions) {
    if (!v.wanted && (v.state == VersionState::kReady || v.state == VersionState::kLoading ||
                      v.state == VersionState::kFailed)) {
      return Lifecycle(RolloutAction::Kind::kDrain, v.spec.name);
    }
  }
  for (const VersionStatus& v : versions) {
    if (v.state == VersionState::kDraining && v.in_flight == 0) {
      return Lifecycle(RolloutAction::Kind::kUnload, v.spec.name);
    }
  }
  return {};
}

}  // namespace skiff
