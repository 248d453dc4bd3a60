// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/rollout_state.h"

#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace skiff {
namespace {

using json = nlohmann::json;

constexpr std::array<std::pair<RolloutStatus, std::string_view>, 5> kNames = {{
    {RolloutStatus::kRunning, "Running"},
    {RolloutStatus::kPaused, "Paused"},
    {RolloutStatus::kSucceeded, "Succeeded"},
    {RolloutStatus::kFailed, "Failed"},
    {RolloutStatus::kAborted, "Aborted"},
}};

json ServerToJson(const ServerReading& r) {
  json versions = json::object();
  for (const auto& [name, c] : r.versions) {
    json buckets = json::array();
    for (const auto& [bound, count] : c.buckets) {
      buckets.push_back({std::isinf(bound) ? json("+Inf") : json(bound), count});
    }
    versions[name] = {{"requests", c.requests}, {"errors", c.errors}, {"buckets", buckets}};
  }
  return {{"serverStart", r.server_start_seconds}, {"versions", versions}};
}

ServerReading ServerFromJson(const json& j) {
  ServerReading r;
  r.server_start_seconds = j.value("serverStart", 0.0);
  const json versions = j.value("versions", json::object());  // outlives items()
  for (const auto& [name, c] : versions.items()) {
    VersionCounters v;
    v.requests = c.value("requests", int64_t{0});
    v.errors = c.value("errors", int64_t{0});
    for (const auto& b : c.value("buckets", json::array())) {
      const double bound =
          b.at(0).is_string() ? std::numeric_limits<double>::infinity() : b.at(0).get<double>();
      v.buckets.emplace_back(bound, b.at(1).get<int64_t>());
    }
    r.versions[name] = std::move(v);
  }
  return r;
}

json ReadingToJson(const MetricsReading& r) {
  json servers = json::object();
  for (const auto& [name, server] : r.servers) servers[name] = ServerToJson(server);
  return servers;
}

MetricsReading ReadingFromJson(const json& j) {
  MetricsReading r;
  for (const auto& [name, server] : j.items()) r.servers[name] = ServerFromJson(server);
  return r;
}

}  // namespace

std::string_view RolloutStatusName(RolloutStatus status) {
  for (const auto& [s, name] : kNames) {
    if (s == status) return name;
  }
  return "Unknown";
}

std::string RolloutStateToJson(const RolloutState& s) {
  nlohmann::ordered_json j;
  j["endpoint"] = s.endpoint;
  j["policy"] = s.policy;
  j["status"] = std::string(RolloutStatusName(s.status));
  j["plan"] = {{"candidate", s.plan.candidate},
               {"steps", s.plan.steps},
               {"stepIntervalMs", s.plan.step_interval_ms},
               {"maxErrorRate", s.plan.max_error_rate},
               {"minRequests", s.plan.min_requests},
               {"compareToControl", s.plan.compare_to_control},
               {"control", s.plan.control},
               {"startTraffic", s.plan.start_traffic}};
  if (s.plan.max_p99_ms) j["plan"]["maxP99Ms"] = *s.plan.max_p99_ms;
  j["step"] = s.progress.step;
  j["stepStartedMs"] = s.progress.step_started_ms;
  j["startedTime"] = s.started_time;
  if (!s.finished_time.empty()) j["finishedTime"] = s.finished_time;
  if (!s.gate.empty()) j["gate"] = s.gate;
  if (s.observed) j["observed"] = *s.observed;
  if (s.limit) j["limit"] = *s.limit;
  if (!s.reason.empty()) j["reason"] = s.reason;
  j["windowStart"] = ReadingToJson(s.window_start);
  j["heldRecorded"] = s.held_recorded;
  if (s.rollback_pending) j["rollbackPending"] = true;
  if (s.step_pending >= 0) j["stepPending"] = s.step_pending;
  return j.dump();
}

StatusOr<RolloutState> ParseRolloutState(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return InvalidArgument("rollout state: not a JSON object");
  try {
    RolloutState s;
    s.endpoint = j.at("endpoint").get<std::string>();
    s.policy = j.value("policy", std::string("builtin"));
    const std::string status = j.at("status").get<std::string>();
    bool known = false;
    for (const auto& [st, name] : kNames) {
      if (name == status) {
        s.status = st;
        known = true;
      }
    }
    if (!known) return InvalidArgument("rollout state: 'status' is '" + status + "'");
    const json& p = j.at("plan");
    s.plan.candidate = p.at("candidate").get<std::string>();
    s.plan.steps = p.at("steps").get<std::vector<int32_t>>();
    s.plan.step_interval_ms = p.at("stepIntervalMs").get<int64_t>();
    s.plan.max_error_rate = p.at("maxErrorRate").get<double>();
    if (p.contains("maxP99Ms")) s.plan.max_p99_ms = p.at("maxP99Ms").get<double>();
    s.plan.min_requests = p.at("minRequests").get<int64_t>();
    s.plan.compare_to_control = p.value("compareToControl", false);
    s.plan.control = p.value("control", std::string());
    s.plan.start_traffic = p.at("startTraffic").get<int32_t>();
    s.progress.step = j.at("step").get<int32_t>();
    s.progress.step_started_ms = j.at("stepStartedMs").get<int64_t>();
    s.progress.paused = s.status == RolloutStatus::kPaused;
    s.started_time = j.value("startedTime", std::string());
    s.finished_time = j.value("finishedTime", std::string());
    s.gate = j.value("gate", std::string());
    if (j.contains("observed")) s.observed = j.at("observed").get<double>();
    if (j.contains("limit")) s.limit = j.at("limit").get<double>();
    s.reason = j.value("reason", std::string());
    if (j.contains("windowStart")) s.window_start = ReadingFromJson(j.at("windowStart"));
    s.held_recorded = j.value("heldRecorded", false);
    s.rollback_pending = j.value("rollbackPending", false);
    s.step_pending = j.value("stepPending", -1);
    if (s.progress.step < 0 || static_cast<size_t>(s.progress.step) >= s.plan.steps.size()) {
      return InvalidArgument("rollout state: 'step' " + std::to_string(s.progress.step) +
                             " is outside the plan's " + std::to_string(s.plan.steps.size()) +
                             " steps");
    }
    if (s.step_pending >= static_cast<int32_t>(s.plan.steps.size())) {
      return InvalidArgument("rollout state: 'stepPending' " + std::to_string(s.step_pending) +
                             " is outside the plan's " + std::to_string(s.plan.steps.size()) +
                             " steps");
    }
    return s;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("rollout state: ") + e.what());
  }
}

}  // namespace skiff
