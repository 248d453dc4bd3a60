// SPDX-License-Identifier: Apache-2.0
#include "status_view.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace skiff::cli {
namespace {

std::string Fixed(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

LiveFigures Sum(const ServiceStatus& status, const std::vector<VersionLoad>& load) {
  LiveFigures f;
  if (status.replicas_ready >= 0 && status.replicas_total >= 0) {
    f.replicas_ready = status.replicas_ready;
    f.replicas_total = status.replicas_total;
  }
  if (load.empty()) {
    f.note = status.load_note;
    return f;
  }
  int64_t requests = 0, errors = 0;
  int32_t seconds = 0;
  for (const VersionLoad& v : load) {
    requests += v.requests;
    errors += v.server_errors;
    seconds = std::max(seconds, v.seconds);
  }
  f.requests_per_second = seconds > 0 ? static_cast<double>(requests) / seconds : 0.0;
  f.error_rate = requests > 0 ? static_cast<double>(errors) / static_cast<double>(requests) : 0.0;
  return f;
}

}  // namespace

std::string HumanBytes(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  value /= 1024;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return Fixed(value, 1) + " " + kUnits[unit];
}

std::map<std::string, int32_t> EffectiveTraffic(
    const std::vector<store::EndpointVersionRecord>& versions) {
  std::map<std::string, int32_t> share;
  int32_t others = 0;
  for (const auto& v : versions) {
    if (v.is_default) continue;
    share[v.version_name] = v.traffic_percentile;
    others += v.traffic_percentile;
  }
  for (const auto& v : versions) {
    if (v.is_default) share[v.version_name] = std::max<int32_t>(0, 100 - others);
  }
  return share;
}

std::string TrafficCell(const std::vector<store::EndpointVersionRecord>& versions) {
  const auto share = EffectiveTraffic(versions);
  std::string out;
  for (const auto& v : versions) {
    out += (out.empty() ? "" : ", ") + v.version_name + " " +
           std::to_string(share.at(v.version_name)) + "%";
  }
  return out;
}

LiveFigures FiguresOf(const ServiceStatus& status) { return Sum(status, status.load); }

LiveFigures VersionFiguresOf(const StatusOr<ServiceStatus>& status, const std::string& version) {
  LiveFigures f;
  if (!status.ok() || status->load.empty()) return f;
  auto it = std::find_if(status->load.begin(), status->load.end(),
                         [&](const VersionLoad& v) { return v.version == version; });
  // Not counted yet (no request has reached it since the server started).
  f = Sum(*status, {it != status->load.end() ? *it : VersionLoad{version, 0, 0, 0}});
  f.replicas_ready.reset();
  f.replicas_total.reset();
  return f;
}

std::string ReplicasCell(const LiveFigures& f) {
  if (!f.replicas_ready || !f.replicas_total) return "-";
  return std::to_string(*f.replicas_ready) + "/" + std::to_string(*f.replicas_total);
}

std::string RateCell(const LiveFigures& f) {
  return f.requests_per_second ? Fixed(*f.requests_per_second, 2) : "-";
}

std::string ErrorRateCell(const LiveFigures& f) {
  return f.error_rate ? Fixed(*f.error_rate * 100, 1) + "%" : "-";
}

void AddFigures(const LiveFigures& f, nlohmann::json* json) {
  nlohmann::json& j = *json;
  j["replicas"] = f.replicas_ready && f.replicas_total
                      ? nlohmann::json{{"ready", *f.replicas_ready}, {"total", *f.replicas_total}}
                      : nlohmann::json();
  j["requestsPerSecond"] = f.requests_per_second ? nlohmann::json(*f.requests_per_second)
                                                 : nlohmann::json();
  j["errorRate"] = f.error_rate ? nlohmann::json(*f.error_rate) : nlohmann::json();
  if (!f.requests_per_second && !f.note.empty()) j["loadNote"] = f.note;
}

}  // namespace skiff::cli
