// SPDX-License-Identifier: Apache-2.0
// `skiff endpoint report`: how each version of an endpoint did, and whether
// a treatment differs from the control (docs/rollout.md "The report").
// Figures come from the exposure log (every request assigned by its routing
// key), else from the server's Prometheus metrics; the rollout history
// (`<workspace>/rollouts/<endpoint>.jsonl`) adds the steps and gate
// decisions. Reading is streamed: memory is bounded by the number of
// versions, not of requests (counts, a reservoir of latencies, at most
// kMaxTrafficBuckets time buckets).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/rollout/rollout_event.h"
#include "skiff/sdk/webservice.h"

namespace skiff::sdk {

struct ReportOptions {
  // Only requests at or after this time (exposure log only: metrics count
  // since the server started, and the report says so). Unset: everything.
  std::optional<std::chrono::system_clock::time_point> since;
  // A copy of an exposure log (e.g. `kubectl cp` from an AKS router pod);
  // its rotated siblings FILE.1 ... FILE.100 are read too, oldest first.
  // "": the target's own (local: <ws>/services/<endpoint>/logs/exposure.jsonl;
  // AKS: every router pod's, read by the target, ComputeTarget::ReadExposureLog).
  std::string exposure_log;
  // Latencies kept per version for percentiles and the latency tests: a
  // uniform reservoir sample; below this many requests every one is used.
  size_t reservoir_size = 10000;
  // Bootstrap resamples for the p50/p99 difference intervals, and the seed
  // that makes them reproducible (the same input gives the same report).
  int bootstrap_resamples = 2000;
  uint64_t seed = 22;
};

// Traffic over time is counted in at most this many equal buckets; their
// width doubles (neighbours merged) whenever the log spans more.
inline constexpr size_t kMaxTrafficBuckets = 64;

struct VersionReport {
  std::string name;
  bool is_control = false, is_default = false;
  bool configured = true;          // false: only in the log (deleted since)
  int32_t traffic_percentile = 0;  // as configured now
  int64_t requests = 0;
  int64_t errors = 0;         // 5xx answers (the error rate's numerator)
  int64_t client_errors = 0;  // 4xx answers (a bad body counts here)
  double error_rate = 0;      // errors / requests (0 without requests)
  double traffic_share = 0;   // requests / all requests in the report
  std::optional<double> p50_ms, p95_ms, p99_ms;
  int64_t latency_samples = 0;  // latencies behind the percentiles
};

struct ConfidenceInterval {
  double low = 0, high = 0;
};

// A treatment against the control. Differences are treatment minus control.
struct VersionComparison {
  std::string control, treatment;
  // Error rate: 95 % Wald interval (unpooled) and the pooled two-proportion
  // z-test's two-sided p-value. Unset when either version has no request.
  std::optional<double> error_rate_difference;
  std::optional<ConfidenceInterval> error_rate_ci95;
  std::optional<double> error_rate_p_value;
  // Latency: Mann-Whitney U (normal approximation, tie correction) on the
  // latency samples, and 95 % percentile-bootstrap intervals of the p50 and
  // p99 differences. Unset without samples on both sides (metrics only).
  std::optional<double> latency_p_value;
  std::optional<double> probability_treatment_slower;  // U / (n1 n2)
  std::optional<double> p50_difference_ms, p99_difference_ms;
  std::optional<ConfidenceInterval> p50_difference_ci95, p99_difference_ci95;
};

struct TrafficBucket {
  std::string start;                        // RFC 3339 UTC
  std::map<std::string, int64_t> requests;  // by version
};

struct EndpointReport {
  std::string endpoint;
  std::string generated_time;  // RFC 3339 UTC
  std::string since;           // RFC 3339 UTC, "" = everything
  // "exposureLog", "metrics" or "none" (no data anywhere).
  std::string source = "none";
  std::vector<std::string> exposure_files;  // read, oldest first
  // Where the log was read when it is not a file here: the router pods
  // (AKS), each read through the Kubernetes API; by name.
  std::vector<std::string> exposure_sources;
  int64_t skipped_lines = 0;                // lines that did not parse
  std::string control;                      // the version compared against
  std::vector<VersionReport> versions;
  std::vector<VersionComparison> comparisons;
  std::vector<TrafficBucket> traffic;  // exposure log only
  int64_t traffic_bucket_seconds = 0;
  // The reservoir samples (ms, ascending) behind the percentiles, by version:
  // the HTML page's latency distributions. Not in ToJson.
  std::map<std::string, std::vector<double>> latency_samples_ms;
  std::vector<RolloutEvent> rollout;  // the rollout history, oldest first
  // What the reader should know: no data, one version only, no control,
  // figures from metrics, ... one sentence each.
  std::vector<std::string> notes;
};

// What a report is built from, for a caller that has the pieces (tests, a
// copied log) rather than an endpoint.
struct ReportInputs {
  std::string endpoint;
  // The versions as configured (name, traffic, default, control).
  std::vector<store::EndpointVersionRecord> versions;
  std::string exposure_log;     // "" = none
  // The exposure log where it is not a file here (AKS: every router pod,
  // ComputeTarget::ReadExposureLog), read after `exposure_log`: hands each
  // line (without its newline) to `on_line`, and adds the sources read to
  // `sources` and a sentence per source read only in part to `notes`. An
  // error fails the report. Empty: none.
  std::function<Status(const std::function<void(std::string_view line)>& on_line,
                       std::vector<std::string>* sources, std::vector<std::string>* notes)>
      read_exposure;
  std::string metrics_text;     // a GET of the metrics listener; "" = none
  std::string metrics_note;     // why there are no metrics, when empty
  std::string rollout_history;  // path of the rollout history; "" = none
  bool routing_key_set = true;
};

StatusOr<EndpointReport> BuildEndpointReport(const ReportInputs& inputs,
                                             const ReportOptions& options);

// The SDK call behind `skiff endpoint report -n NAME`: the endpoint's
// versions, its exposure log (options.exposure_log, else the target's own:
// the local target's file, or what the target reads where it is kept, the
// AKS router pods, a router it cannot read being a note), its metrics when
// the log has no data and the target exposes them here, and its rollout
// history. kNotFound when there is no such endpoint.
StatusOr<EndpointReport> endpoint_report(const Workspace& ws, const std::string& name,
                                         const ReportOptions& options = {});

// The report as `-o json` prints it (camelCase keys; latency samples left out).
nlohmann::json ToJson(const EndpointReport& report);

// One self-contained HTML page (no script, no external resource): the
// summary tables, traffic share over time, latency distributions (ECDF) per
// version and the rollout steps with their gate decisions, as inline SVG.
// Every string from the log or the workspace is escaped.
std::string RenderReportHtml(const EndpointReport& report);

// "30m", "2h", "1d", "90s" before `now`, or an RFC 3339 time
// ("2026-12-06T17:00:00Z"); kInvalidArgument naming the accepted forms.
StatusOr<std::chrono::system_clock::time_point> ParseSince(
    const std::string& text, std::chrono::system_clock::time_point now);

}  // namespace skiff::sdk
