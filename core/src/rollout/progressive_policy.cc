// SPDX-License-Identifier: Apache-2.0
// The built-in progressive rollout decision: a pure function of the version
// states, the plan, the step and the window's measurements (docs/rollout.md,
// "Progressive delivery").
#include <cmath>
#include <sstream>

#include "skiff/rollout_policy.h"

namespace skiff {
namespace {

const VersionMeasurement* Find(const std::vector<VersionMeasurement>& ms, const std::string& v) {
  for (const VersionMeasurement& m : ms) {
    if (m.version == v) return &m;
  }
  return nullptr;
}

const VersionStatus* FindVersion(const std::vector<VersionStatus>& vs, const std::string& v) {
  for (const VersionStatus& s : vs) {
    if (s.spec.name == v) return &s;
  }
  return nullptr;
}

std::string Figure(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

RolloutAction RollBack(const ProgressivePlan& plan, std::string gate,
                       std::optional<double> observed, std::optional<double> limit,
                       int64_t requests, std::string reason) {
  RolloutAction a;
  a.kind = RolloutAction::Kind::kRollBack;
  a.version = plan.candidate;
  a.traffic_percentile = plan.start_traffic;
  a.gate = std::move(gate);
  a.observed = observed;
  a.limit = limit;
  a.requests = requests;
  a.reason = std::move(reason);
  return a;
}

}  // namespace

Status ValidateProgressivePlan(const ProgressivePlan& plan) {
  if (plan.candidate.empty()) {
    return InvalidArgument("--version-name: name the version to roll out (one of the endpoint's)");
  }
  if (plan.steps.empty()) {
    return InvalidArgument(
        "--steps: give the candidate's traffic per step, e.g. --steps 5,25,50,100");
  }
  int32_t previous = plan.start_traffic;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const int32_t s = plan.steps[i];
    if (s < 1 || s > 100) {
      return InvalidArgument("--steps: step " + std::to_string(i + 1) + " is " + std::to_string(s) +
                             "; each step is a traffic percentile 1-100");
    }
    if (s <= previous) {
      return InvalidArgument(
          "--steps: step " + std::to_string(i + 1) + " (" + std::to_string(s) + ") is not above " +
          (i == 0 ? "the candidate's current traffic (" + std::to_string(previous) + ")"
                  : "the step before it (" + std::to_string(previous) + ")") +
          "; steps must increase, e.g. --steps 5,25,50,100");
    }
    previous = s;
  }
  if (plan.step_interval_ms < 1000) {
    return InvalidArgument("--step-interval: " + std::to_string(plan.step_interval_ms) +
                           " ms is too short; give at least 1s (e.g. 60s, 5m)");
  }
  if (!(plan.max_error_rate >= 0 && plan.max_error_rate <= 1)) {
    return InvalidArgument("--max-error-rate: " + Figure(plan.max_error_rate) +
                           " is not a fraction 0-1 (0.01 means 1 %)");
  }
  if (plan.max_p99_ms && !(*plan.max_p99_ms > 0)) {
    return InvalidArgument("--max-p99-ms: " + Figure(*plan.max_p99_ms) +
                           " must be above 0 milliseconds");
  }
  if (plan.min_requests < 1) {
    return InvalidArgument("--min-requests: " + std::to_string(plan.min_requests) +
                           " must be at least 1");
  }
  if (plan.compare_to_control && plan.control.empty()) {
    return InvalidArgument(
        "--compare-to-control: the endpoint has no control version; mark one with "
        "`endpoint update-version --is-control-version-type true` or drop the flag");
  }
  if (plan.compare_to_control && plan.control == plan.candidate) {
    return InvalidArgument("--compare-to-control: the candidate '" + plan.candidate +
                           "' is the control version; roll out a treatment instead");
  }
  return OkStatus();
}

RolloutAction BuiltinProgressiveAction(const RolloutInput& input) {
  const ProgressivePlan& plan = *input.plan;
  const ProgressiveProgress& at = input.progress;
  RolloutAction hold;
  hold.kind = RolloutAction::Kind::kHold;
  hold.version = plan.candidate;
  hold.step = at.step;
  hold.traffic_percentile = plan.steps.at(static_cast<size_t>(at.step));

  const VersionStatus* candidate = FindVersion(input.versions, plan.candidate);
  if (candidate == nullptr || !candidate->wanted || candidate->state == VersionState::kFailed) {
    return RollBack(
        plan, "versionState", std::nullopt, std::nullopt, 0,
        "version '" + plan.candidate + "' is " +
            (candidate == nullptr || !candidate->wanted ? "gone from the endpoint" : "failed"));
  }
  if (at.paused) {
    hold.reason = "paused; `skiff endpoint rollout resume` continues";
    return hold;
  }
  const VersionMeasurement none{plan.candidate, 0, 0, std::nullopt};
  const VersionMeasurement* m = Find(input.measurements, plan.candidate);
  if (m == nullptr) m = &none;
  hold.requests = m->requests;

  // Gates are checked as soon as the window holds enough requests to judge,
  // not only at the end of the interval: a breach rolls back at once.
  if (m->requests >= plan.min_requests) {
    const VersionMeasurement* control =
        plan.compare_to_control ? Find(input.measurements, plan.control) : nullptr;
    const double rate = static_cast<double>(m->errors) / static_cast<double>(m->requests);
    double rate_limit = plan.max_error_rate;
    if (control != nullptr && control->requests > 0) {
      rate_limit += static_cast<double>(control->errors) / static_cast<double>(control->requests);
    }
    if (rate > rate_limit) {
      return RollBack(plan, "errorRate", rate, rate_limit, m->requests,
                      "error rate " + Figure(rate) + " over " + std::to_string(m->requests) +
                          " requests is above the limit " + Figure(rate_limit));
    }
    if (plan.max_p99_ms && m->p99_ms) {
      double p99_limit = *plan.max_p99_ms;
      if (control != nullptr && control->p99_ms) p99_limit += *control->p99_ms;
      if (*m->p99_ms > p99_limit) {
        return RollBack(
            plan, "p99Ms", *m->p99_ms, p99_limit, m->requests,
            "p99 " + Figure(*m->p99_ms) + " ms is above the limit " + Figure(p99_limit) + " ms");
      }
    }
  }
  if (input.now_ms - at.step_started_ms < plan.step_interval_ms) {
    hold.reason = "step " + std::to_string(at.step + 1) + " holds until its interval has passed";
    return hold;
  }
  if (m->requests < plan.min_requests) {
    hold.gate = "minRequests";
    hold.observed = static_cast<double>(m->requests);
    hold.limit = static_cast<double>(plan.min_requests);
    hold.reason = "the interval passed with " + std::to_string(m->requests) + " of the " +
                  std::to_string(plan.min_requests) + " requests a step needs";
    return hold;
  }
  if (static_cast<size_t>(at.step) + 1 >= plan.steps.size()) {
    RolloutAction done;
    done.kind = RolloutAction::Kind::kSucceed;
    done.version = plan.candidate;
    done.step = at.step;
    done.traffic_percentile = hold.traffic_percentile;
    done.requests = m->requests;
    done.reason = "the last step passed its gates";
    return done;
  }
  RolloutAction next;
  next.kind = RolloutAction::Kind::kSetTraffic;
  next.version = plan.candidate;
  next.step = at.step + 1;
  next.traffic_percentile = plan.steps[static_cast<size_t>(next.step)];
  next.requests = m->requests;
  next.reason = "step " + std::to_string(at.step + 1) + " passed its gates";
  return next;
}

}  // namespace skiff
