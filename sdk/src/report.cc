// SPDX-License-Identifier: Apache-2.0
// `skiff endpoint report`: reading the exposure log, the metrics and the
// rollout history into an EndpointReport (the statistics are in
// report_stats.cc, the page in report_html.cc).
#include "skiff/sdk/report.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <limits>

#include "report_internal.h"
#include "report_stats.h"
#include "skiff/metrics/exposition.h"
#include "skiff/net/http_client.h"
#include "skiff/sdk/compute_target.h"

namespace skiff::sdk {
namespace report_internal {

std::optional<int64_t> ParseTimeMs(std::string_view text) {
  int y, mo, d, h, mi, s, consumed = 0;
  std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
          6 ||
      consumed != 19) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    int64_t frac = 0, scale = 1000;
    for (++i; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i) {
      if (scale > 1) {
        scale /= 10;
        frac += (t[i] - '0') * scale;
      }
    }
    ms += frac;
  }
  const std::string zone = t.substr(i);
  if (zone != "Z" && zone != "+00:00") return std::nullopt;
  return ms;
}

}  // namespace report_internal

namespace {

using report_internal::ParseTimeMs;

using SystemClock = std::chrono::system_clock;

// A line longer than this is not an exposure or rollout line (theirs are
// ~150 bytes); it is skipped whole without being held in memory.
constexpr size_t kMaxLineBytes = 16 * 1024;
// Versions tracked from the log; an endpoint has at most 6, so more names
// mean a foreign file. Lines of further names are skipped.
constexpr size_t kMaxVersions = 64;
// Rollout events kept (the newest); a history is a few lines per rollout.
constexpr size_t kMaxRolloutEvents = 10000;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Calls `on_line` for each line of `path` (without the newline); lines over
// kMaxLineBytes are counted in `*too_long` and skipped. Memory: one buffer.
Status ForEachLine(const std::string& path, const std::function<void(std::string_view)>& on_line,
                   int64_t* too_long) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return NotFound("cannot read '" + path + "': " + std::strerror(errno));
  std::string line;
  bool skipping = false;
  char buf[64 * 1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    size_t start = 0;
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') continue;
      if (!skipping) {
        line.append(buf + start, i - start);
        if (line.size() <= kMaxLineBytes) {
          on_line(line);
        } else {
          ++*too_long;
        }
      } else {
        ++*too_long;
      }
      line.clear();
      skipping = false;
      start = i + 1;
    }
    if (!skipping) {
      line.append(buf + start, n - start);
      if (line.size() > kMaxLineBytes) {
        skipping = true;
        line.clear();
      }
    }
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return DataLoss("reading '" + path + "' failed");
  if (skipping) {
    ++*too_long;
  } else if (!line.empty()) {
    on_line(line);  // a last line without its newline (a log being written)
  }
  return OkStatus();
}

std::string FormatTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t ToMs(SystemClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// What the log says about one version.
struct VersionTally {
  int64_t requests = 0, errors = 0, client_errors = 0;
  stats::Reservoir latencies;
  explicit VersionTally(size_t capacity, uint64_t seed) : latencies(capacity, seed) {}
};

// Requests per version in equal time buckets; at most kMaxTrafficBuckets,
// the width doubling (neighbours merged) when the log spans more.
class TrafficCounter {
 public:
  void Add(int64_t time_ms, size_t version) {
    if (buckets_.empty()) base_ms_ = time_ms - time_ms % width_ms_;
    // Lines come in any order (several threads log; several routers' logs
    // are read one after another): an earlier one moves the origin back by
    // whole buckets, widening them when the span gets too long.
    while (time_ms < base_ms_) {
      const int64_t shift = (base_ms_ - time_ms + width_ms_ - 1) / width_ms_;
      if (static_cast<int64_t>(buckets_.size()) + shift <=
          static_cast<int64_t>(kMaxTrafficBuckets)) {
        buckets_.insert(buckets_.begin(), static_cast<size_t>(shift), {});
        base_ms_ -= shift * width_ms_;
      } else {
        Widen();
      }
    }
    int64_t index = (time_ms - base_ms_) / width_ms_;
    while (index >= static_cast<int64_t>(kMaxTrafficBuckets)) {
      Widen();
      index = (time_ms - base_ms_) / width_ms_;
    }
    if (index >= static_cast<int64_t>(buckets_.size())) buckets_.resize(index + 1);
    auto& bucket = buckets_[index];
    if (bucket.size() <= version) bucket.resize(version + 1);
    ++bucket[version];
  }
  int64_t width_ms() const { return width_ms_; }
  int64_t base_ms() const { return base_ms_; }
  const std::vector<std::vector<int64_t>>& buckets() const { return buckets_; }

 private:
  void Widen() {
    std::vector<std::vector<int64_t>> merged((buckets_.size() + 1) / 2);
    for (size_t i = 0; i < buckets_.size(); ++i) {
      auto& to = merged[i / 2];
      if (to.size() < buckets_[i].size()) to.resize(buckets_[i].size());
      for (size_t v = 0; v < buckets_[i].size(); ++v) to[v] += buckets_[i][v];
    }
    buckets_ = std::move(merged);
    width_ms_ *= 2;
  }
  int64_t base_ms_ = 0;
  int64_t width_ms_ = 1000;
  std::vector<std::vector<int64_t>> buckets_;
};

// The log's files, oldest first: FILE.N ... FILE.1, FILE.
std::vector<std::string> ExposureFiles(const std::string& path) {
  std::vector<std::string> files;
  for (int i = 100; i >= 1; --i) {
    const std::string rotated = path + "." + std::to_string(i);
    if (Exists(rotated)) files.push_back(rotated);
  }
  if (Exists(path)) files.push_back(path);
  return files;
}

// Per version from the metrics: requests by code and the latency histogram.
struct MetricsTally {
  int64_t requests = 0, errors = 0, client_errors = 0;
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
};

std::map<std::string, MetricsTally> ParseMetrics(const std::string& text) {
  std::map<std::string, MetricsTally> out;
  for (metrics::MetricSample& sample : metrics::ParseExposition(text)) {
    const bool total = sample.name == "skiff_requests_total";
    const bool bucket = sample.name == "skiff_request_duration_seconds_bucket";
    if (!total && !bucket) continue;
    const std::string& version = sample.labels["version"];
    if (version.empty()) continue;
    MetricsTally& t = out[version];
    if (total) {
      const int code = std::atoi(sample.labels["code"].c_str());
      t.requests += static_cast<int64_t>(sample.value);
      if (code >= 500) t.errors += static_cast<int64_t>(sample.value);
      if (code >= 400 && code < 500) t.client_errors += static_cast<int64_t>(sample.value);
    } else {
      t.buckets.emplace_back(metrics::BucketBound(sample.labels["le"]), sample.value);
    }
  }
  return out;
}


void Compare(const ReportOptions& options, EndpointReport* report) {
  const VersionReport* control = nullptr;
  for (const auto& v : report->versions) {
    if (v.name == report->control) control = &v;
  }
  if (!control || control->requests == 0) return;
  const auto control_samples = report->latency_samples_ms.find(control->name);
  uint64_t seed = options.seed;
  for (const auto& v : report->versions) {
    if (v.name == control->name || v.requests == 0) continue;
    VersionComparison c;
    c.control = control->name;
    c.treatment = v.name;
    const stats::TwoProportionResult e =
        stats::TwoProportionTest(control->errors, control->requests, v.errors, v.requests);
    c.error_rate_difference = e.difference;
    c.error_rate_ci95 = ConfidenceInterval{e.ci_low, e.ci_high};
    c.error_rate_p_value = e.p_value;
    const auto samples = report->latency_samples_ms.find(v.name);
    if (control_samples != report->latency_samples_ms.end() &&
        samples != report->latency_samples_ms.end() && !control_samples->second.empty() &&
        !samples->second.empty()) {
      const auto& a = control_samples->second;
      const auto& b = samples->second;
      const stats::MannWhitneyResult u = stats::MannWhitneyU(a, b);
      c.latency_p_value = u.p_value;
      c.probability_treatment_slower = u.probability_treatment_slower;
      c.p50_difference_ms = stats::Quantile(b, 0.5) - stats::Quantile(a, 0.5);
      c.p99_difference_ms = stats::Quantile(b, 0.99) - stats::Quantile(a, 0.99);
      // One seed per comparison, so adding a version changes no other row.
      const stats::Interval p50 =
          stats::BootstrapQuantileDifference(a, b, 0.5, options.bootstrap_resamples, seed);
      const stats::Interval p99 =
          stats::BootstrapQuantileDifference(a, b, 0.99, options.bootstrap_resamples, seed + 1);
      c.p50_difference_ci95 = ConfidenceInterval{p50.low, p50.high};
      c.p99_difference_ci95 = ConfidenceInterval{p99.low, p99.high};
    }
    seed += 2;
    report->comparisons.push_back(std::move(c));
  }
}

}  // namespace

StatusOr<SystemClock::time_point> ParseSince(const std::string& text, SystemClock::time_point now) {
  if (auto ms = ParseTimeMs(text)) {
    return SystemClock::time_point(std::chrono::milliseconds(*ms));
  }
  char* end = nullptr;
  const double amount = std::strtod(text.c_str(), &end);
  const std::string unit = end ? std::string(end) : "";
  const std::map<std::string, double> seconds = {{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
  auto it = seconds.find(unit);
  if (text.empty() || end == text.c_str() || it == seconds.end() || !(amount >= 0) ||
      !std::isfinite(amount)) {
    return InvalidArgument("--since '" + text +
                           "': give a duration before now (90s, 30m, 2h, 7d) or an RFC 3339 "
                           "UTC time (2026-12-06T17:00:00Z)");
  }
  return now - std::chrono::duration_cast<SystemClock::duration>(
                   std::chrono::duration<double>(amount * it->second));
}

StatusOr<EndpointReport> BuildEndpointReport(const ReportInputs& inputs,
                                             const ReportOptions& options) {
  EndpointReport report;
  report.endpoint = inputs.endpoint;
  report.generated_time = FormatTime(ToMs(SystemClock::now()));
  const std::optional<int64_t> since =
      options.since ? std::optional<int64_t>(ToMs(*options.since)) : std::nullopt;
  if (since) report.since = FormatTime(*since);

  // The versions as configured first, in their order; the log may add more.
  std::vector<std::string> names;
  std::map<std::string, size_t> index;
  for (const auto& v : inputs.versions) {
    index[v.version_name] = names.size();
    names.push_back(v.version_name);
  }
  std::vector<VersionTally> tallies;
  auto tally = [&](size_t i) -> VersionTally& {
    while (tallies.size() <= i) {
      // A fixed seed per version: the same log gives the same sample.
      tallies.emplace_back(options.reservoir_size, options.seed * 1000003 + tallies.size());
    }
    return tallies[i];
  };

  // The exposure log, streamed: counts, a reservoir and traffic buckets.
  TrafficCounter traffic;
  int64_t logged = 0;
  const auto on_line = [&](std::string_view line) {
    if (line.empty()) return;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("time") || !j["time"].is_string() ||
        !j.contains("version") || !j["version"].is_string() || !j.contains("status") ||
        !j["status"].is_number_integer() || !j.contains("latencyMs") ||
        !j["latencyMs"].is_number()) {
      ++report.skipped_lines;
      return;
    }
    const std::optional<int64_t> time = ParseTimeMs(j["time"].get<std::string>());
    if (!time) {
      ++report.skipped_lines;
      return;
    }
    if (since && *time < *since) return;
    const std::string version = j["version"].get<std::string>();
    auto it = index.find(version);
    if (it == index.end()) {
      if (names.size() >= kMaxVersions) {
        ++report.skipped_lines;
        return;
      }
      it = index.emplace(version, names.size()).first;
      names.push_back(version);
    }
    VersionTally& t = tally(it->second);
    const int status = j["status"].get<int>();
    ++t.requests;
    if (status >= 500) ++t.errors;
    if (status >= 400 && status < 500) ++t.client_errors;
    t.latencies.Add(j["latencyMs"].get<double>());
    traffic.Add(*time, it->second);
    ++logged;
  };
  if (!inputs.exposure_log.empty()) {
    report.exposure_files = ExposureFiles(inputs.exposure_log);
    for (const std::string& file : report.exposure_files) {
      SKIFF_RETURN_IF_ERROR(ForEachLine(file, on_line, &report.skipped_lines));
    }
  }
  std::vector<std::string> read_notes;  // after the source note, below
  if (inputs.read_exposure) {
    SKIFF_RETURN_IF_ERROR(inputs.read_exposure(
        [&](std::string_view line) {
          // As ForEachLine: a line over the bound is not a line of the log.
          if (line.size() > kMaxLineBytes) {
            ++report.skipped_lines;
            return;
          }
          on_line(line);
        },
        &report.exposure_sources, &read_notes));
  }
  tally(names.empty() ? 0 : names.size() - 1);

  std::map<std::string, MetricsTally> metrics;
  if (logged > 0) {
    report.source = "exposureLog";
  } else if (!inputs.metrics_text.empty()) {
    metrics = ParseMetrics(inputs.metrics_text);
    int64_t total = 0;
    for (const auto& [name, m] : metrics) total += m.requests;
    if (total > 0) report.source = "metrics";
    for (const auto& [name, m] : metrics) {
      if (!index.count(name) && names.size() < kMaxVersions) {
        index[name] = names.size();
        names.push_back(name);
      }
    }
  }

  int64_t all = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    VersionReport v;
    v.name = names[i];
    v.configured = false;
    for (const auto& rec : inputs.versions) {
      if (rec.version_name != v.name) continue;
      v.configured = true;
      v.is_control = rec.is_control;
      v.is_default = rec.is_default;
      v.traffic_percentile = rec.traffic_percentile;
    }
    if (report.source == "exposureLog") {
      VersionTally& t = tally(i);
      v.requests = t.requests;
      v.errors = t.errors;
      v.client_errors = t.client_errors;
      std::vector<double> sample = t.latencies.values();
      std::sort(sample.begin(), sample.end());
      if (!sample.empty()) {
        v.p50_ms = stats::Quantile(sample, 0.5);
        v.p95_ms = stats::Quantile(sample, 0.95);
        v.p99_ms = stats::Quantile(sample, 0.99);
      }
      v.latency_samples = static_cast<int64_t>(sample.size());
      report.latency_samples_ms[v.name] = std::move(sample);
    } else if (report.source == "metrics") {
      auto it = metrics.find(v.name);
      if (it != metrics.end()) {
        v.requests = it->second.requests;
        v.errors = it->second.errors;
        v.client_errors = it->second.client_errors;
        auto ms = [&](double q) -> std::optional<double> {
          auto s = metrics::HistogramQuantile(it->second.buckets, q);
          return s ? std::optional<double>(*s * 1e3) : std::nullopt;
        };
        v.p50_ms = ms(0.5);
        v.p95_ms = ms(0.95);
        v.p99_ms = ms(0.99);
      }
    }
    v.error_rate = v.requests > 0 ? static_cast<double>(v.errors) / v.requests : 0;
    all += v.requests;
    report.versions.push_back(std::move(v));
  }
  for (auto& v : report.versions) {
    v.traffic_share = all > 0 ? static_cast<double>(v.requests) / all : 0;
  }

  if (report.source == "exposureLog") {
    report.traffic_bucket_seconds = traffic.width_ms() / 1000;
    for (size_t b = 0; b < traffic.buckets().size(); ++b) {
      TrafficBucket bucket;
      bucket.start = FormatTime(traffic.base_ms() + static_cast<int64_t>(b) * traffic.width_ms());
      const auto& counts = traffic.buckets()[b];
      for (size_t i = 0; i < names.size(); ++i) {
        bucket.requests[names[i]] = i < counts.size() ? counts[i] : 0;
      }
      report.traffic.push_back(std::move(bucket));
    }
  }

  // The rollout history.
  if (!inputs.rollout_history.empty() && Exists(inputs.rollout_history)) {
    int64_t bad = 0;
    SKIFF_RETURN_IF_ERROR(ForEachLine(
        inputs.rollout_history,
        [&](std::string_view line) {
          if (line.empty()) return;
          StatusOr<RolloutEvent> event = ParseRolloutEventLine(line);
          if (!event.ok()) {
            ++bad;
            return;
          }
          if (report.rollout.size() >= kMaxRolloutEvents)
            report.rollout.erase(report.rollout.begin());
          report.rollout.push_back(std::move(event).value());
        },
        &bad));
    if (bad > 0) {
      report.notes.push_back(std::to_string(bad) + " line(s) of the rollout history '" +
                             inputs.rollout_history + "' did not parse and were left out.");
    }
  }

  // Which version is the control.
  for (const auto& v : report.versions) {
    if (v.is_control && report.control.empty()) report.control = v.name;
  }
  if (report.control.empty()) {
    for (const auto& v : report.versions) {
      if (v.is_default && report.control.empty()) report.control = v.name;
    }
    if (!report.control.empty() && report.versions.size() > 1) {
      report.notes.push_back("No version is of type Control: the default version '" +
                             report.control + "' is the control.");
    }
  }
  if (report.control.empty() && !report.versions.empty()) {
    const auto most = std::max_element(
        report.versions.begin(), report.versions.end(),
        [](const VersionReport& a, const VersionReport& b) { return a.requests < b.requests; });
    report.control = most->name;
    if (report.versions.size() > 1) {
      report.notes.push_back("No version is configured as control or default: '" + report.control +
                             "', the one with the most requests, is the control.");
    }
  }

  // Where the figures come from, and what is missing: the first note.
  std::string source_note;
  if (report.source == "exposureLog") {
    std::string where = std::to_string(report.exposure_files.size()) + " file(s)";
    if (!report.exposure_sources.empty()) {
      where = "";
      for (const std::string& source : report.exposure_sources) {
        where += (where.empty() ? "" : ", ") + source;
      }
      where = "read from " + std::to_string(report.exposure_sources.size()) + " router pod(s): " +
              where;
    }
    source_note = "Figures from the exposure log (" + where +
                  "): requests assigned by their routing key only; pinned and "
                  "drawn requests are not in it.";
  } else if (report.source == "metrics") {
    std::string why = !inputs.routing_key_set
                          ? "no routing key is configured, so there is no exposure log"
                          : "the exposure log has no requests" +
                                std::string(since ? " since " + report.since : "");
    source_note = "Figures from the server's metrics (" + why +
                  "): every request since the server started" +
                  std::string(since ? ", --since does not apply" : "") +
                  "; percentiles are interpolated within histogram buckets; the latency "
                  "tests and the traffic over time need the exposure log.";
  } else {
    std::string where =
        !report.exposure_sources.empty()
            ? "no requests in the exposure log of " +
                  std::to_string(report.exposure_sources.size()) + " router pod(s)" +
                  std::string(since ? " since " + report.since : "")
        : report.exposure_files.empty()
            ? (inputs.exposure_log.empty() ? "no exposure log"
                                           : "no exposure log at '" + inputs.exposure_log + "'")
            : "no requests in the exposure log" +
                  std::string(since ? " since " + report.since : "");
    std::string metrics_word = !inputs.metrics_text.empty()  ? "no requests in the metrics"
                               : inputs.metrics_note.empty() ? "no metrics"
                                                             : inputs.metrics_note;
    source_note =
        "No data: " + where + ", and " + metrics_word +
        (inputs.routing_key_set ? "."
                                : ". No routing key is configured: set one (endpoint update "
                                  "--routing-key-header x-user-id) to get an exposure log.");
  }
  report.notes.insert(report.notes.begin(), source_note);
  report.notes.insert(report.notes.begin() + 1, read_notes.begin(), read_notes.end());
  if (report.skipped_lines > 0) {
    report.notes.push_back(std::to_string(report.skipped_lines) +
                           " exposure-log line(s) did not parse and were left out.");
  }
  int with_data = 0;
  for (const auto& v : report.versions) with_data += v.requests > 0;
  if (report.source != "none" && with_data == 1) {
    for (const auto& v : report.versions) {
      if (v.requests > 0) {
        report.notes.push_back("Only version '" + v.name +
                               "' has requests: there is nothing to compare it with.");
      }
    }
  }
  if (report.source != "none" && report.versions.size() > 1) {
    for (const auto& v : report.versions) {
      if (v.name == report.control && v.requests == 0) {
        report.notes.push_back("The control '" + v.name +
                               "' has no requests: no comparison is possible.");
      }
    }
  }
  if (report.source == "exposureLog") {
    for (const auto& v : report.versions) {
      if (v.latency_samples > 0 && v.latency_samples < v.requests) {
        report.notes.push_back("Percentiles and latency tests of '" + v.name +
                               "' use a uniform "
                               "sample of " +
                               std::to_string(v.latency_samples) + " of its " +
                               std::to_string(v.requests) + " requests.");
      }
    }
  }
  if (report.rollout.empty()) report.notes.push_back("No rollout recorded.");
  Compare(options, &report);
  return report;
}

namespace {

// Splits the target's pages into lines for the report, and keeps which
// routers were read and which only in part.
class ReportExposureSink final : public skiff::ExposureLogSink {
 public:
  ReportExposureSink(const std::function<void(std::string_view)>& on_line,
                     std::vector<std::string>* sources, std::vector<std::string>* notes)
      : on_line_(on_line), sources_(sources), notes_(notes) {}
  bool Write(const std::string& source, std::string_view lines) override {
    if (std::find(sources_->begin(), sources_->end(), source) == sources_->end()) {
      sources_->push_back(source);
    }
    while (!lines.empty()) {
      const size_t nl = lines.find('\n');
      on_line_(lines.substr(0, nl));
      if (nl == std::string_view::npos) break;
      lines.remove_prefix(nl + 1);
    }
    return true;
  }
  void Incomplete(const std::string& source, const std::string& reason) override {
    notes_->push_back("The exposure log of router pod " + source +
                      " was not read whole, so the figures leave out what is missing: " + reason +
                      ".");
  }

 private:
  const std::function<void(std::string_view)>& on_line_;
  std::vector<std::string>* sources_;
  std::vector<std::string>* notes_;
};

// The target reads the log where it is kept. Not a failure of the report
// when it cannot: the report says why, and the metrics may stand in.
void ReadTargetExposureLog(skiff::ComputeTarget& target, const std::string& service,
                             const std::function<void(std::string_view)>& on_line,
                             std::vector<std::string>* sources, std::vector<std::string>* notes,
                             std::string* metrics_note) {
  ReportExposureSink sink(on_line, sources, notes);
  const Status read = target.ReadExposureLog(service, &sink);
  if (read.code() == StatusCode::kUnimplemented) {
    *metrics_note =
        "no exposure log here: this target cannot read it for us, so copy it from where the "
        "service runs and pass --exposure-log (docs/rollout.md \"The report\")";
  } else if (!read.ok()) {
    notes->push_back("The exposure log could not be read from the target: " + read.message() +
                     ".");
    *metrics_note = "no exposure log read";
  }
}

}  // namespace

StatusOr<EndpointReport> endpoint_report(const Workspace& ws, const std::string& name,
                                         const ReportOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(AksEndpoint endpoint, AksEndpoint::get(ws, name));
  ReportInputs inputs;
  inputs.endpoint = name;
  SKIFF_ASSIGN_OR_RETURN(inputs.versions, endpoint.versions());
  inputs.routing_key_set = endpoint.deployment_config().routing_key.set();
  inputs.rollout_history = ws.dir() + "/rollouts/" + name + ".jsonl";
  inputs.exposure_log = options.exposure_log;
  if (!inputs.exposure_log.empty() && ExposureFiles(inputs.exposure_log).empty()) {
    return NotFound("exposure log '" + inputs.exposure_log + "' does not exist (nor its rotated '" +
                    inputs.exposure_log + ".1'): give the path of a copied exposure.jsonl");
  }
  std::shared_ptr<skiff::ComputeTarget> plugin;
  std::vector<std::string> read_sources, read_notes;
  if (inputs.exposure_log.empty()) {
    auto target = ComputeTarget::get(ws, endpoint.record().compute_target);
    // The local target's documented place (docs/rollout.md); other targets
    // keep it where this machine cannot open it (AKS: the router pods), and
    // read it for us where they can (ReadExposureLog).
    if (target.ok() && target->type() == "local") {
      inputs.exposure_log = ws.dir() + "/services/" + name + "/logs/exposure.jsonl";
    } else if (target.ok()) {
      auto loaded = target->plugin();
      if (loaded.ok()) plugin = std::move(loaded).value();
    }
    if (plugin && inputs.routing_key_set) {
      // Read once: a second build (the metrics standing in) comes only when
      // nothing was logged, so it needs the sources and notes, no lines.
      inputs.read_exposure = [&, read = false](
                                 const std::function<void(std::string_view)>& on_line,
                                 std::vector<std::string>* sources,
                                 std::vector<std::string>* notes) mutable {
        if (!read) {
          read = true;
          ReadTargetExposureLog(*plugin, name, on_line, &read_sources, &read_notes,
                                &inputs.metrics_note);
        }
        sources->insert(sources->end(), read_sources.begin(), read_sources.end());
        notes->insert(notes->end(), read_notes.begin(), read_notes.end());
        return OkStatus();
      };
    } else if (inputs.exposure_log.empty()) {
      inputs.metrics_note =
          "no exposure log here: copy it from the router pod and pass "
          "--exposure-log (docs/rollout.md \"The report\")";
    }
  }
  SKIFF_ASSIGN_OR_RETURN(EndpointReport report, BuildEndpointReport(inputs, options));
  if (report.source != "none") return report;
  // Nothing logged: the server's own counts, where this machine can read them.
  StatusOr<ServiceStatus> status = endpoint.state();
  if (!status.ok() || status->metrics_uri.empty()) {
    if (inputs.metrics_note.empty()) {
      inputs.metrics_note = status.ok() ? "the target exposes no metrics here"
                                        : "no metrics (" + status.status().message() + ")";
    } else {
      inputs.metrics_note += "; the target exposes no metrics here";
    }
    return BuildEndpointReport(inputs, options);
  }
  net::HttpClientOptions http;
  http.timeout = std::chrono::seconds(10);
  http.max_body_bytes = 8u << 20;
  StatusOr<net::HttpResponse> got =
      net::HttpClient(http).Send({"GET", status->metrics_uri, {}, ""});
  if (got.ok() && got->status == 200) {
    inputs.metrics_text = got->body;
  } else {
    inputs.metrics_note =
        "the metrics at " + status->metrics_uri + " did not answer (" +
        (got.ok() ? "HTTP " + std::to_string(got->status) : got.status().message()) + ")";
  }
  return BuildEndpointReport(inputs, options);
}

nlohmann::json ToJson(const EndpointReport& report) {
  auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  auto ci = [](const std::optional<ConfidenceInterval>& v) {
    return v ? nlohmann::json{{"low", v->low}, {"high", v->high}} : nlohmann::json();
  };
  nlohmann::json versions = nlohmann::json::array();
  for (const auto& v : report.versions) {
    versions.push_back({{"name", v.name},
                        {"versionType", v.is_control ? "Control" : "Treatment"},
                        {"isDefault", v.is_default},
                        {"configured", v.configured},
                        {"trafficPercentile", v.traffic_percentile},
                        {"requests", v.requests},
                        {"errors", v.errors},
                        {"clientErrors", v.client_errors},
                        {"errorRate", v.error_rate},
                        {"trafficShare", v.traffic_share},
                        {"p50Ms", opt(v.p50_ms)},
                        {"p95Ms", opt(v.p95_ms)},
                        {"p99Ms", opt(v.p99_ms)},
                        {"latencySamples", v.latency_samples}});
  }
  nlohmann::json comparisons = nlohmann::json::array();
  for (const auto& c : report.comparisons) {
    comparisons.push_back({{"control", c.control},
                           {"treatment", c.treatment},
                           {"errorRateDifference", opt(c.error_rate_difference)},
                           {"errorRateCi95", ci(c.error_rate_ci95)},
                           {"errorRatePValue", opt(c.error_rate_p_value)},
                           {"latencyPValue", opt(c.latency_p_value)},
                           {"probabilityTreatmentSlower", opt(c.probability_treatment_slower)},
                           {"p50DifferenceMs", opt(c.p50_difference_ms)},
                           {"p50DifferenceCi95", ci(c.p50_difference_ci95)},
                           {"p99DifferenceMs", opt(c.p99_difference_ms)},
                           {"p99DifferenceCi95", ci(c.p99_difference_ci95)}});
  }
  nlohmann::json traffic = nlohmann::json::array();
  for (const auto& b : report.traffic)
    traffic.push_back({{"start", b.start}, {"requests", b.requests}});
  nlohmann::json rollout = nlohmann::json::array();
  for (const auto& e : report.rollout)
    rollout.push_back(nlohmann::json::parse(RolloutEventToJsonLine(e)));
  return {{"endpoint", report.endpoint},
          {"generatedTime", report.generated_time},
          {"since", report.since.empty() ? nlohmann::json() : nlohmann::json(report.since)},
          {"source", report.source},
          {"exposureFiles", report.exposure_files},
          {"exposureSources", report.exposure_sources},
          {"skippedLines", report.skipped_lines},
          {"control", report.control.empty() ? nlohmann::json() : nlohmann::json(report.control)},
          {"versions", versions},
          {"comparisons", comparisons},
          {"trafficBucketSeconds", report.traffic_bucket_seconds},
          {"traffic", traffic},
          {"rollout", rollout},
          {"notes", report.notes}};
}

}  // namespace skiff::sdk
