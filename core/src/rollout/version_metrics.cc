// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/version_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

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

// `name{k="v",...} value` -> labels and value; false when it is not a sample.
bool ParseSample(std::string_view line, std::string_view* name,
                 std::map<std::string, std::string>* labels, double* value) {
  const size_t brace = line.find('{');
  const size_t space = line.find(' ');
  if (brace == std::string_view::npos || (space != std::string_view::npos && space < brace)) {
    if (space == std::string_view::npos) return false;
    *name = line.substr(0, space);
  } else {
    *name = line.substr(0, brace);
    size_t i = brace + 1;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        return false;
      }
      std::string key(line.substr(i, eq - i));
      std::string v;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          v.push_back(line[j] == 'n' ? '\n' : line[j]);
        } else {
          v.push_back(line[j]);
        }
      }
      if (j >= line.size()) return false;
      (*labels)[key] = std::move(v);
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return false;
    line = line.substr(i + 1);
    const size_t sp = line.find_first_not_of(' ');
    if (sp == std::string_view::npos) return false;
    line = line.substr(sp);
    std::string number(line.substr(0, line.find(' ')));
    char* end = nullptr;
    *value = std::strtod(number.c_str(), &end);
    return end != number.c_str();
  }
  std::string number(line.substr(space + 1));
  char* end = nullptr;
  *value = std::strtod(number.c_str(), &end);
  return end != number.c_str();
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
    std::string_view name;
    std::map<std::string, std::string> labels;
    double value = 0;
    if (!ParseSample(line, &name, &labels, &value)) {
      return InvalidArgument("metrics line " + std::to_string(line_no) + " ('" +
                             std::string(line.substr(0, 120)) +
                             "') is not a Prometheus sample; is this a skiff-server's /metrics?");
    }
    if (name == kStart) {
      reading.server_start_seconds = value;
      continue;
    }
    if (!service.empty() && labels["service"] != service) continue;
    const auto version = labels.find("version");
    if (version == labels.end()) continue;
    VersionCounters& c = reading.versions[version->second];
    if (name == kRequests) {
      const int64_t n = std::llround(value);
      c.requests += n;
      const int code = std::atoi(labels["code"].c_str());
      if (code >= 500 && code <= 599) c.errors += n;
    } else if (name == kBucket) {
      const std::string& le = labels["le"];
      const double bound =
          le == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(le.c_str(), nullptr);
      c.buckets.emplace_back(bound, std::llround(value));
    }
  }
  for (auto& [version, c] : reading.versions) {
    std::sort(c.buckets.begin(), c.buckets.end());
  }
  return reading;
}

std::optional<double> P99MsFromBuckets(const std::vector<std::pair<double, int64_t>>& buckets) {
  if (buckets.empty() || buckets.back().second <= 0) return std::nullopt;
  const double total = static_cast<double>(buckets.back().second);
  const double rank = 0.99 * total;
  double lower = 0;
  int64_t below = 0;
  for (const auto& [bound, cumulative] : buckets) {
    if (static_cast<double>(cumulative) >= rank) {
      if (std::isinf(bound)) return lower * 1000;  // past the last finite bound
      const double in_bucket = static_cast<double>(cumulative - below);
      const double fraction = in_bucket > 0 ? (rank - static_cast<double>(below)) / in_bucket : 1;
      return (lower + (bound - lower) * fraction) * 1000;
    }
    lower = bound;
    below = cumulative;
  }
  return lower * 1000;
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
