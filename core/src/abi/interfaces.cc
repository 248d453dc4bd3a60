// SPDX-License-Identifier: Apache-2.0
// Out-of-line virtual destructors: the vtables and type information of the
// interfaces are emitted here, once, rather than in every translation unit.
#include "skiff/accelerator.h"
#include "skiff/authenticator.h"
#include "skiff/compute_target.h"
#include "skiff/rollout_policy.h"

namespace skiff {

LoadedModel::~LoadedModel() = default;
std::string LoadedModel::platform() const { return ""; }
Accelerator::~Accelerator() = default;
Authenticator::~Authenticator() = default;
StatusOr<std::string> Authenticator::RotateSigningKey(int64_t) {
  return Unimplemented("this auth plugin has no signing keys to rotate");
}
ComputeTarget::~ComputeTarget() = default;
StatusOr<ComputeDescription> ComputeTarget::Describe(const ComputeSpec&) {
  return ComputeDescription{};
}
StatusOr<ComputeDescription> ComputeTarget::Refresh(const ComputeSpec& spec,
                                                    const RefreshOptions&) {
  return Describe(spec);
}
StatusOr<bool> ComputeTarget::ReviveService(const std::string&) { return false; }
StatusOr<ServiceStatus> ComputeTarget::GetDetailedState(const std::string& service) {
  return GetState(service);
}
Status ComputeTarget::RestartService(const std::string& service) {
  return Unimplemented("this compute target cannot restart service '" + service +
                       "' in place; update or redeploy it");
}
StatusOr<std::map<std::string, std::string>> ComputeTarget::ReadMetrics(const std::string& service) {
  return Unimplemented("this compute target cannot read the metrics of service '" + service +
                       "'");
}
ExposureLogSink::~ExposureLogSink() = default;
Status ComputeTarget::ReadExposureLog(const std::string& service, ExposureLogSink*) {
  return Unimplemented("this compute target cannot read the exposure log of service '" +
                       service + "'; copy it and pass --exposure-log");
}
LogSink::~LogSink() = default;
Status ComputeTarget::FollowLogs(const std::string& service, int32_t, LogSink*) {
  return Unimplemented("this compute target cannot follow the logs of service '" + service +
                       "'; run get-logs without --follow");
}
RolloutPolicy::~RolloutPolicy() = default;

const char* ServiceStateName(ServiceState state) {
  switch (state) {
    case ServiceState::kTransitioning: return "Transitioning";
    case ServiceState::kHealthy: return "Healthy";
    case ServiceState::kUnhealthy: return "Unhealthy";
    case ServiceState::kFailed: return "Failed";
  }
  return "Unknown";
}

const std::string& RoutingTable::Pick(double u) const {
  static const std::string kNone;
  for (const Entry& e : entries) {
    if (u < e.upper) return e.version;
  }
  return entries.empty() ? kNone : entries.back().version;
}

}  // namespace skiff
