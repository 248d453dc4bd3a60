// SPDX-License-Identifier: Apache-2.0
#include "rollout_status.h"

#include <set>

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;

const json& Get(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const json& j, const char* key) {
  const json& v = Get(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

int64_t Int(const json& j, const char* key, int64_t fallback = 0) {
  const json& v = Get(j, key);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

const std::set<std::string>& FailedWaitingReasons() {
  static const std::set<std::string> reasons = {"CrashLoopBackOff", "ImagePullBackOff",
                                                "ErrImagePull",     "CreateContainerConfigError",
                                                "InvalidImageName", "CreateContainerError"};
  return reasons;
}

// The first container of `pod` waiting for a reason that will not clear.
bool FindFailedContainer(const json& pod, RolloutStatus& out) {
  const std::string pod_name = Str(Get(pod, "metadata"), "name");
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const json& statuses = Get(Get(pod, "status"), list);
    if (!statuses.is_array()) continue;
    for (const json& c : statuses) {
      const json& waiting = Get(Get(c, "state"), "waiting");
      const std::string reason = Str(waiting, "reason");
      if (!FailedWaitingReasons().count(reason)) continue;
      out.phase = RolloutPhase::kFailed;
      out.reason = reason;
      out.message = "pod " + pod_name + " container " + Str(c, "name") + ": " + reason;
      const std::string detail = Str(waiting, "message");
      if (!detail.empty()) out.message += ": " + detail;
      const json& last = Get(Get(c, "lastState"), "terminated");
      if (last.is_object()) {
        out.message += " (last exit code " + std::to_string(Int(last, "exitCode")) +
                       (Str(last, "reason").empty() ? "" : ", " + Str(last, "reason")) +
                       "; see the service's logs)";
      }
      return true;
    }
  }
  return false;
}

bool FindUnschedulable(const json& pod, RolloutStatus& out) {
  const json& conditions = Get(Get(pod, "status"), "conditions");
  if (!conditions.is_array()) return false;
  for (const json& c : conditions) {
    if (Str(c, "type") == "PodScheduled" && Str(c, "status") == "False" &&
        Str(c, "reason") == "Unschedulable") {
      out.phase = RolloutPhase::kUnhealthy;
      out.reason = "Unschedulable";
      out.message =
          "pod " + Str(Get(pod, "metadata"), "name") + " cannot be scheduled: " + Str(c, "message");
      return true;
    }
  }
  return false;
}

}  // namespace

RolloutStatus EvaluateRollout(const json& deployment, const json& pods) {
  RolloutStatus out;
  const json& metadata = Get(deployment, "metadata");
  const json& status = Get(deployment, "status");
  out.generation = Int(metadata, "generation");
  out.observed_generation = Int(status, "observedGeneration");
  out.replicas = Int(Get(deployment, "spec"), "replicas", 1);
  out.current = Int(status, "replicas");
  out.updated = Int(status, "updatedReplicas");
  out.ready = Int(status, "readyReplicas");
  out.available = Int(status, "availableReplicas");
  if (out.observed_generation >= out.generation && out.updated == out.replicas &&
      out.available == out.replicas && out.current == out.replicas) {
    out.phase = RolloutPhase::kComplete;
    return out;
  }
  // A deadline condition speaks of the spec the controller last observed:
  // one left from the previous rollout says nothing about this one.
  const json& conditions = Get(status, "conditions");
  if (conditions.is_array() && out.observed_generation >= out.generation) {
    for (const json& c : conditions) {
      if (Str(c, "type") == "Progressing" && Str(c, "reason") == "ProgressDeadlineExceeded") {
        out.phase = RolloutPhase::kFailed;
        out.reason = "ProgressDeadlineExceeded";
        out.message = "deployment " + Str(metadata, "name") + ": " + Str(c, "message");
      }
    }
  }
  const json& items = Get(pods, "items");
  if (!items.is_array()) return out;
  RolloutStatus unhealthy;
  bool any_unhealthy = false;
  for (const json& pod : items) {
    if (!Get(Get(pod, "metadata"), "deletionTimestamp").is_null()) continue;
    RolloutStatus failed = out;
    if (FindFailedContainer(pod, failed)) return failed;
    if (!any_unhealthy) {
      unhealthy = out;
      any_unhealthy = FindUnschedulable(pod, unhealthy);
    }
  }
  if (out.phase == RolloutPhase::kFailed) return out;
  return any_unhealthy ? unhealthy : out;
}

std::string ProgressText(const RolloutStatus& s) {
  std::string text = std::to_string(s.updated) + "/" + std::to_string(s.replicas) + " updated, " +
                     std::to_string(s.available) + "/" + std::to_string(s.replicas) + " available";
  if (s.current > s.updated) {
    text += ", " + std::to_string(s.current - s.updated) + " old pending termination";
  }
  if (s.observed_generation < s.generation) {
    text += " (observed generation " + std::to_string(s.observed_generation) + " of " +
            std::to_string(s.generation) + ")";
  }
  return text;
}

}  // namespace skiff::compute_aks::kube
