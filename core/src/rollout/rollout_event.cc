// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/rollout_event.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

namespace skiff {
namespace {

constexpr std::array<std::pair<RolloutEventKind, std::string_view>, 8> kKindNames = {{
    {RolloutEventKind::kStarted, "started"},
    {RolloutEventKind::kStepped, "stepped"},
    {RolloutEventKind::kHeld, "held"},
    {RolloutEventKind::kFailed, "failed"},
    {RolloutEventKind::kSucceeded, "succeeded"},
    {RolloutEventKind::kPaused, "paused"},
    {RolloutEventKind::kResumed, "resumed"},
    {RolloutEventKind::kAborted, "aborted"},
}};

Status WrongType(const char* key, const char* want) {
  return Status(StatusCode::kInvalidArgument,
                std::string("rollout event: '") + key + "' must be " + want);
}

}  // namespace

std::string_view RolloutEventKindName(RolloutEventKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

StatusOr<RolloutEventKind> ParseRolloutEventKind(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return Status(StatusCode::kInvalidArgument,
                "rollout event: 'event' is '" + std::string(name) +
                    "'; use one of started, stepped, held, failed, succeeded, paused, "
                    "resumed, aborted");
}

std::string RolloutEventToJsonLine(const RolloutEvent& event) {
  nlohmann::ordered_json j;
  j["time"] = event.time;
  j["endpoint"] = event.endpoint;
  j["version"] = event.version;
  j["event"] = std::string(RolloutEventKindName(event.kind));
  j["step"] = event.step;
  j["trafficPercentile"] = event.traffic_percentile;
  if (!event.gate.empty()) j["gate"] = event.gate;
  if (event.observed) j["observed"] = *event.observed;
  if (event.limit) j["limit"] = *event.limit;
  if (event.requests != 0) j["requests"] = event.requests;
  if (!event.reason.empty()) j["reason"] = event.reason;
  return j.dump();
}

StatusOr<RolloutEvent> ParseRolloutEventLine(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(StatusCode::kInvalidArgument, "rollout event: the line is not a JSON object");
  }
  RolloutEvent event;
  auto text = [&](const char* key, std::string& out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end()) {
      return required ? Status(StatusCode::kInvalidArgument,
                               std::string("rollout event: missing '") + key + "'")
                      : Status();
    }
    if (!it->is_string()) return WrongType(key, "a string");
    out = it->get<std::string>();
    return Status();
  };
  auto integer = [&](const char* key, auto& out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end()) {
      return required ? Status(StatusCode::kInvalidArgument,
                               std::string("rollout event: missing '") + key + "'")
                      : Status();
    }
    if (!it->is_number_integer()) return WrongType(key, "an integer");
    out = it->get<std::decay_t<decltype(out)>>();
    return Status();
  };
  auto number = [&](const char* key, std::optional<double>& out) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return Status();
    if (!it->is_number()) return WrongType(key, "a number");
    out = it->get<double>();
    return Status();
  };
  std::string kind;
  for (Status s : {text("time", event.time, true), text("endpoint", event.endpoint, true),
                   text("version", event.version, true), text("event", kind, true),
                   integer("step", event.step, true),
                   integer("trafficPercentile", event.traffic_percentile, true),
                   text("gate", event.gate, false), number("observed", event.observed),
                   number("limit", event.limit), integer("requests", event.requests, false),
                   text("reason", event.reason, false)}) {
    if (!s.ok()) return s;
  }
  StatusOr<RolloutEventKind> parsed = ParseRolloutEventKind(kind);
  if (!parsed.ok()) return parsed.status();
  event.kind = *parsed;
  return event;
}

}  // namespace skiff
