// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/version_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "skiff/metrics/exposition.h"

namespace skiff {
namespace {

constexpr std::string_view kRequests = "skiff_requests_total";
constexpr std::string_view kBucket = "skiff_request_duration_seconds_bucket";
constexpr std::string_view kStart = "process_start_time_seconds";

bool CountersFell(const VersionCounters& start, const VersionCounters& now) {
  if (now.requests < start.requests || now.errors < start.errors) return true;
  for (size_t i = 0; i < now.buckets.size() && i < start.buckets.size(); ++i) {
    if (now.buckets[i].second < start.buckets[i].second) return true;
  }
  return false;
}

}  // namespace

StatusOr<ServerReading> ParseMetricsReading(std::string_view text, std::string_view service) {
  ServerReading reading;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, kRequests.size(), kRequests) != 0 &&
        line.compare(0, kBucket.size(), kBucket) != 0 &&
        line.compare(0, kStart.size(), kStart) != 0) {
      continue;
    }
    std::optional<metrics::MetricSample> sample = metrics::ParseSampleLine(line);
    if (!sample) {
      return InvalidArgument("metrics line " + std::to_string(line_no) + " ('" +
                             std::string(line.substr(0, 120)) +
                             "') is not a Prometheus sample; is this a skiff-server's /metrics?");
    }
    auto& labels = sample->labels;
    if (sample->name == kStart) {
      reading.server_start_seconds = sample->value;
      continue;
    }
    if (!service.empty() && labels["service"] != service) continue;
    const auto version = labels.find("version");
    if (version == labels.end()) continue;
    VersionCounters& c = reading.versions[version->second];
    if (sample->name == kRequests) {
      const int64_t n = std::llround(sample->value);
      c.requests += n;
      const int code = std::atoi(labels["code"].c_str());
      if (code >= 500 && code <= 599) c.errors += n;
    } else if (sample->name == kBucket) {
      c.buckets.emplace_back(metrics::BucketBound(labels["le"]), std::llround(sample->value));
    }
  }
  for (auto& [version, c] : reading.versions) {
    std::sort(c.buckets.begin(), c.buckets.end());
  }
  return reading;
}

std::optional<double> P99MsFromBuckets(const std::vector<std::pair<double, int64_t>>& buckets) {
  std::vector<std::pair<double, double>> cumulative;
  cumulative.reserve(buckets.size());
  for (const auto& [bound, count] : buckets) cumulative.emplace_back(bound, static_cast<double>(count));
  std::optional<double> seconds = metrics::HistogramQuantile(std::move(cumulative), 0.99);
  if (!seconds) return std::nullopt;
  return *seconds * 1000;
}

bool ServerRestarted(const ServerReading& start, const ServerReading& now) {
  if (start.server_start_seconds != 0 && now.server_start_seconds != 0 &&
      std::abs(start.server_start_seconds - now.server_start_seconds) > 0.5) {
    return true;
  }
  for (const auto& [version, s] : start.versions) {
    const auto n = now.versions.find(version);
    if (n == now.versions.end() ? s.requests > 0 : CountersFell(s, n->second)) return true;
  }
  return false;
}

VersionMeasurement WindowOf(const std::string& version, const MetricsReading& start,
                            const MetricsReading& now) {
  VersionMeasurement m;
  m.version = version;
  std::vector<std::pair<double, int64_t>> window;
  for (const auto& [server, reading] : now.servers) {
    const auto n = reading.versions.find(version);
    if (n == reading.versions.end()) continue;
    VersionCounters part = n->second;
    const auto s = start.servers.find(server);
    if (s != start.servers.end() && !ServerRestarted(s->second, reading)) {
      const auto base = s->second.versions.find(version);
      if (base != s->second.versions.end()) {
        part.requests -= base->second.requests;
        part.errors -= base->second.errors;
        if (base->second.buckets.size() == part.buckets.size()) {
          for (size_t i = 0; i < part.buckets.size(); ++i) {
            part.buckets[i].second -= base->second.buckets[i].second;
          }
        }
      }
    }
    m.requests += part.requests;
    m.errors += part.errors;
    if (window.empty()) {
      window = part.buckets;
    } else if (window.size() == part.buckets.size()) {
      for (size_t i = 0; i < window.size(); ++i) window[i].second += part.buckets[i].second;
    }
  }
  m.p99_ms = P99MsFromBuckets(window);
  return m;
}

}  // namespace skiff
