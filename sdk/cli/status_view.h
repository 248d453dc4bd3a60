// SPDX-License-Identifier: Apache-2.0
// What `skiff service list`, `endpoint list` and `endpoint show` print about a
// service at a glance (issue 23 item 2): live replicas, the last minute's
// requests/s and error rate from the server's own count (ServiceStatus::load),
// each endpoint version's effective traffic share, and byte counts for people.
// JSON output keeps raw numbers; table cells say "-" for what is not known.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skiff/compute_target.h"
#include "skiff/store/records.h"

namespace skiff::cli {

// 1536 -> "1.5 KiB", 512 -> "512 B", 3 << 30 -> "3.0 GiB" (powers of 1024).
std::string HumanBytes(int64_t bytes);

// The share of drawn traffic each version is configured for: its
// --traffic-percentile, and for the default version what the others leave
// (100 - their sum; the default's own percentile is not what it gets).
std::map<std::string, int32_t> EffectiveTraffic(
    const std::vector<store::EndpointVersionRecord>& versions);
// "v1 70%, v2 30%" in the versions' order.
std::string TrafficCell(const std::vector<store::EndpointVersionRecord>& versions);

// The last minute of a service, summed over its versions.
struct LiveFigures {
  std::optional<int32_t> replicas_ready, replicas_total;  // unset: the target does not know
  std::optional<double> requests_per_second;  // unset: not readable from here (see note)
  std::optional<double> error_rate;           // 5xx / requests, 0..1; 0 without requests
  std::string note;                           // why the rates are unknown
};
LiveFigures FiguresOf(const ServiceStatus& status);
// One version's figures, without replicas (they are the service's): its own
// count; 0 when the server answered but has not counted it yet; unknown
// when the server's count could not be read (or `status` is an error).
LiveFigures VersionFiguresOf(const StatusOr<ServiceStatus>& status, const std::string& version);

// Table cells: "1/1", "2.4", "0.0%", or "-" when unknown.
std::string ReplicasCell(const LiveFigures& f);
std::string RateCell(const LiveFigures& f);
std::string ErrorRateCell(const LiveFigures& f);
// Adds replicas {ready, total}, requestsPerSecond, errorRate (a fraction) to
// `json`, null where unknown, and loadNote when the rates are unknown.
void AddFigures(const LiveFigures& f, nlohmann::json* json);

// Runs `look(item)` for every item at once and returns the results in
// order: a list asks every service its live state, and a slow or dead one
// costs its own probe timeout, not the sum of all of them.
template <typename T, typename F>
auto LookConcurrently(std::vector<T>& items, F look) {
  using R = decltype(look(items.front()));
  std::vector<std::future<R>> pending;
  pending.reserve(items.size());
  for (T& item : items) {
    pending.push_back(std::async(std::launch::async, [&look, &item] { return look(item); }));
  }
  std::vector<R> out;
  out.reserve(items.size());
  for (auto& p : pending) out.push_back(p.get());
  return out;
}

}  // namespace skiff::cli
