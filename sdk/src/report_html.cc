// SPDX-License-Identifier: Apache-2.0
// The `endpoint report --html` page: one file, no script and nothing
// fetched (inline CSS and SVG drawn here), so it opens anywhere, offline,
// and can be attached to a ticket. Every string that came from a log, the
// workspace or the user goes through Escape().
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report_internal.h"
#include "report_stats.h"
#include "skiff/sdk/report.h"

namespace skiff::sdk {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf"};
// Plot area inside each SVG (the margins hold the axes' labels).
constexpr double kWidth = 760, kHeight = 260, kLeft = 60, kRight = 20, kTop = 16, kBottom = 36;

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Opt(const std::optional<double>& v, int digits = 1) {
  return v ? Num(*v, digits) : "–";
}

std::string Percent(double v, int digits = 2) { return Num(v * 100, digits) + " %"; }

std::string Ci(const std::optional<ConfidenceInterval>& ci, double scale, int digits) {
  return ci ? "[" + Num(ci->low * scale, digits) + ", " + Num(ci->high * scale, digits) + "]" : "–";
}

std::string P(const std::optional<double>& p) {
  if (!p) return "–";
  return *p < 0.0001 ? "&lt; 0.0001" : Num(*p, 4);
}

std::string Colour(const EndpointReport& report, const std::string& version) {
  for (size_t i = 0; i < report.versions.size(); ++i) {
    if (report.versions[i].name == version) return kPalette[i % 8];
  }
  return "#555555";
}

// Axes with `ticks` labels on y (value at fraction) and the x labels given.
void Axes(std::ostringstream& out, const std::vector<std::pair<double, std::string>>& y_ticks,
          const std::vector<std::pair<double, std::string>>& x_ticks, const std::string& x_title,
          const std::string& y_title) {
  const double bottom = kHeight - kBottom;
  out << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kWidth - kLeft - kRight
      << "\" height=\"" << bottom - kTop << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (const auto& [f, label] : y_ticks) {
    const double y = bottom - f * (bottom - kTop);
    out << "<line x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\"" << y << "\" y2=\""
        << y << "\" stroke=\"#ddd\"/><text x=\"" << kLeft - 6 << "\" y=\"" << y + 4
        << "\" text-anchor=\"end\">" << Escape(label) << "</text>\n";
  }
  for (const auto& [f, label] : x_ticks) {
    const double x = kLeft + f * (kWidth - kLeft - kRight);
    // The last label ends at the plot's edge rather than past the picture's.
    out << "<text x=\"" << x << "\" y=\"" << bottom + 16 << "\" text-anchor=\""
        << (f > 0.95 ? "end" : "middle") << "\">" << Escape(label) << "</text>\n";
  }
  out << "<text x=\"" << (kLeft + kWidth - kRight) / 2 << "\" y=\"" << kHeight - 4
      << "\" text-anchor=\"middle\" class=\"axis\">" << Escape(x_title) << "</text>\n";
  out << "<text x=\"14\" y=\"" << (kTop + bottom) / 2 << "\" text-anchor=\"middle\" "
      << "class=\"axis\" transform=\"rotate(-90 14 " << (kTop + bottom) / 2 << ")\">"
      << Escape(y_title) << "</text>\n";
}

void Legend(std::ostringstream& out, const EndpointReport& report) {
  out << "<p class=\"legend\">";
  for (const auto& v : report.versions) {
    out << "<span><i style=\"background:" << Colour(report, v.name) << "\"></i>" << Escape(v.name)
        << (v.name == report.control ? " (control)" : "") << "</span> ";
  }
  out << "</p>\n";
}

std::string Hms(const std::string& rfc3339) {
  return rfc3339.size() >= 19 ? rfc3339.substr(11, 8) : rfc3339;
}

void TrafficChart(std::ostringstream& out, const EndpointReport& report) {
  out << "<h2>Traffic share over time</h2>\n";
  if (report.traffic.empty()) {
    out << "<p class=\"empty\" id=\"no-traffic\">No traffic over time: "
        << (report.source == "metrics" ? "the metrics have totals only; it needs the exposure log."
                                       : "no requests in the exposure log.")
        << "</p>\n";
    return;
  }
  const double plot_w = kWidth - kLeft - kRight, bottom = kHeight - kBottom;
  const size_t n = report.traffic.size();
  out << "<svg id=\"traffic\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
      << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n";
  std::vector<std::pair<double, std::string>> xs = {{0, Hms(report.traffic.front().start)}};
  if (n > 1) xs.emplace_back(static_cast<double>(n - 1) / n, Hms(report.traffic.back().start));
  Axes(out, {{0, "0 %"}, {0.25, "25 %"}, {0.5, "50 %"}, {0.75, "75 %"}, {1, "100 %"}}, xs,
       "time (UTC), buckets of " + std::to_string(report.traffic_bucket_seconds) + " s",
       "share of requests");
  for (const auto& v : report.versions) {
    std::ostringstream d;
    bool pen = false;
    for (size_t b = 0; b < n; ++b) {
      int64_t total = 0;
      for (const auto& [name, count] : report.traffic[b].requests) total += count;
      if (total == 0) {
        pen = false;
        continue;
      }
      auto it = report.traffic[b].requests.find(v.name);
      const double share = it == report.traffic[b].requests.end()
                               ? 0
                               : static_cast<double>(it->second) / static_cast<double>(total);
      const double x0 = kLeft + plot_w * b / n, x1 = kLeft + plot_w * (b + 1) / n;
      const double y = bottom - share * (bottom - kTop);
      d << (pen ? " L" : " M") << Num(x0) << " " << Num(y) << " L" << Num(x1) << " " << Num(y);
      pen = true;
    }
    out << "<path class=\"series\" data-version=\"" << Escape(v.name) << "\" d=\""
        << (d.str().empty() ? "" : d.str().substr(1)) << "\" fill=\"none\" stroke=\""
        << Colour(report, v.name) << "\" stroke-width=\"3\"><title>" << Escape(v.name)
        << "</title></path>\n";
  }
  out << "</svg>\n";
  Legend(out, report);
}

void LatencyChart(std::ostringstream& out, const EndpointReport& report) {
  out << "<h2>Latency distribution per version</h2>\n";
  double x_max = 0;
  for (const auto& [name, sample] : report.latency_samples_ms) {
    if (!sample.empty()) x_max = std::max(x_max, stats::Quantile(sample, 0.99));
  }
  if (x_max <= 0) {
    out << "<p class=\"empty\" id=\"no-latency\">No latency distribution: "
        << (report.source == "metrics" ? "the metrics have histograms only (see the table)."
                                       : "no requests.")
        << "</p>\n";
    return;
  }
  x_max *= 1.25;
  const double plot_w = kWidth - kLeft - kRight, bottom = kHeight - kBottom;
  out << "<svg id=\"latency\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
      << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n";
  std::vector<std::pair<double, std::string>> xs;
  for (int i = 0; i <= 4; ++i) xs.emplace_back(i / 4.0, Num(x_max * i / 4, 2) + " ms");
  Axes(out, {{0, "0"}, {0.5, "0.5"}, {0.9, "0.9"}, {1, "1"}}, xs,
       "latency (ms), right end: 1.25 × the largest p99", "fraction of requests ≤ x (ECDF)");
  for (const auto& v : report.versions) {
    auto it = report.latency_samples_ms.find(v.name);
    if (it == report.latency_samples_ms.end() || it->second.empty()) continue;
    const std::vector<double>& s = it->second;
    // At most ~300 steps: enough for the eye, small for the file.
    const size_t step = std::max<size_t>(1, s.size() / 300);
    std::ostringstream d;
    double prev_y = bottom;
    d << "M" << Num(kLeft) << " " << Num(bottom);
    for (size_t i = 0; i < s.size(); i += step) {
      const size_t last = std::min(s.size() - 1, i + step - 1);
      const double x = kLeft + plot_w * std::min(1.0, s[i] / x_max);
      const double y = bottom - (static_cast<double>(last + 1) / s.size()) * (bottom - kTop);
      d << " L" << Num(x) << " " << Num(prev_y) << " L" << Num(x) << " " << Num(y);
      prev_y = y;
    }
    d << " L" << Num(kLeft + plot_w) << " " << Num(prev_y);
    out << "<path class=\"ecdf\" data-version=\"" << Escape(v.name) << "\" d=\"" << d.str()
        << "\" fill=\"none\" stroke=\"" << Colour(report, v.name)
        << "\" stroke-width=\"2.5\"><title>" << Escape(v.name) << ": " << s.size()
        << " latencies</title></path>\n";
  }
  out << "</svg>\n";
  Legend(out, report);
}

std::string EventColour(RolloutEventKind kind) {
  switch (kind) {
    case RolloutEventKind::kFailed:
    case RolloutEventKind::kAborted:
      return "#d62728";
    case RolloutEventKind::kSucceeded:
      return "#2ca02c";
    case RolloutEventKind::kStepped:
    case RolloutEventKind::kStarted:
      return "#1f77b4";
    default:
      return "#7f7f7f";
  }
}

void RolloutChart(std::ostringstream& out, const EndpointReport& report) {
  out << "<h2>Rollout steps and gate decisions</h2>\n";
  std::vector<std::pair<int64_t, const RolloutEvent*>> events;
  for (const auto& e : report.rollout) {
    if (auto t = report_internal::ParseTimeMs(e.time)) events.emplace_back(*t, &e);
  }
  if (events.empty()) {
    out << "<p class=\"empty\" id=\"no-rollout\">No rollout recorded.</p>\n";
    return;
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const int64_t t0 = events.front().first;
  const double span = std::max<int64_t>(1, events.back().first - t0);
  const double plot_w = kWidth - kLeft - kRight, bottom = kHeight - kBottom;
  // A little room after the last event, so its step shows.
  auto x_of = [&](int64_t t) { return kLeft + plot_w * 0.92 * (t - t0) / span; };
  auto y_of = [&](double pct) { return bottom - pct / 100.0 * (bottom - kTop); };
  out << "<svg id=\"rollout\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
      << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n";
  Axes(out, {{0, "0 %"}, {0.25, "25 %"}, {0.5, "50 %"}, {0.75, "75 %"}, {1, "100 %"}},
       {{0, Hms(events.front().second->time)}, {0.92, Hms(events.back().second->time)}},
       "time (UTC)", "candidate's traffic");
  std::map<std::string, std::ostringstream> paths;
  std::map<std::string, double> last_y;
  for (const auto& [t, e] : events) {
    auto& d = paths[e->version];
    const double x = x_of(t), y = y_of(e->traffic_percentile);
    if (!last_y.count(e->version)) {
      d << "M" << Num(x) << " " << Num(y);
    } else {
      d << " L" << Num(x) << " " << Num(last_y[e->version]) << " L" << Num(x) << " " << Num(y);
    }
    last_y[e->version] = y;
  }
  for (auto& [version, d] : paths) {
    d << " L" << Num(kLeft + plot_w) << " " << Num(last_y[version]);
    out << "<path class=\"steps\" data-version=\"" << Escape(version) << "\" d=\"" << d.str()
        << "\" fill=\"none\" stroke=\"" << Colour(report, version) << "\" stroke-width=\"3\"/>\n";
  }
  for (const auto& [t, e] : events) {
    std::string title = std::string(RolloutEventKindName(e->kind)) + " " + e->version + " at " +
                        std::to_string(e->traffic_percentile) + " %";
    if (!e->gate.empty()) {
      title += ", gate " + e->gate + (e->observed ? " observed " + Num(*e->observed, 4) : "") +
               (e->limit ? " limit " + Num(*e->limit, 4) : "");
    }
    if (!e->reason.empty()) title += ": " + e->reason;
    out << "<circle class=\"event " << RolloutEventKindName(e->kind) << "\" cx=\"" << Num(x_of(t))
        << "\" cy=\"" << Num(y_of(e->traffic_percentile)) << "\" r=\"7\" fill=\""
        << EventColour(e->kind) << "\" stroke=\"#fff\" stroke-width=\"2\"><title>" << Escape(title)
        << "</title></circle>\n";
  }
  out << "</svg>\n";
  out << "<table id=\"rollout-events\"><tr><th>time</th><th>version</th><th>event</th>"
         "<th>step</th><th>traffic %</th><th>gate</th><th>observed</th><th>limit</th>"
         "<th>requests</th><th>reason</th></tr>\n";
  for (const auto& [t, e] : events) {
    out << "<tr><td>" << Escape(e->time) << "</td><td>" << Escape(e->version) << "</td><td>"
        << "<span class=\"dot\" style=\"background:" << EventColour(e->kind) << "\"></span>"
        << RolloutEventKindName(e->kind) << "</td><td>" << e->step << "</td><td>"
        << e->traffic_percentile << "</td><td>" << Escape(e->gate) << "</td><td>"
        << Opt(e->observed, 4) << "</td><td>" << Opt(e->limit, 4) << "</td><td>" << e->requests
        << "</td><td>" << Escape(e->reason) << "</td></tr>\n";
  }
  out << "</table>\n";
}

}  // namespace

std::string RenderReportHtml(const EndpointReport& report) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<title>skiff endpoint report: " << Escape(report.endpoint) << "</title>\n"
      << "<style>body{font:14px sans-serif;margin:24px;color:#222;background:#fff}"
         "table{border-collapse:collapse;margin:8px 0 16px}"
         "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
         "th{background:#eef}td:first-child,th:first-child{text-align:left}"
         "svg text{font:12px sans-serif;fill:#333}svg .axis{font-weight:bold}"
         ".legend span{margin-right:16px}.legend i,.dot{display:inline-block;width:12px;"
         "height:12px;margin-right:4px;vertical-align:middle}.empty{color:#777;font-style:italic}"
         "</style></head><body>\n";
  out << "<h1>Endpoint report: " << Escape(report.endpoint) << "</h1>\n";
  out << "<p class=\"meta\">Generated " << Escape(report.generated_time)
      << "; source: " << Escape(report.source)
      << (report.since.empty() ? "" : "; since " + Escape(report.since))
      << (report.control.empty() ? "" : "; control: " + Escape(report.control)) << "</p>\n";
  out << "<ul class=\"notes\">\n";
  for (const auto& note : report.notes) out << "<li>" << Escape(note) << "</li>\n";
  out << "</ul>\n<h2>Versions</h2>\n<table id=\"versions\"><tr><th>version</th><th>type</th>"
         "<th>configured %</th><th>requests</th><th>share</th><th>5xx</th><th>error rate</th>"
         "<th>4xx</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>\n";
  for (const auto& v : report.versions) {
    out << "<tr><td><span class=\"dot\" style=\"background:" << Colour(report, v.name)
        << "\"></span>" << Escape(v.name) << (v.is_default ? " (default)" : "")
        << (v.configured ? "" : " (not configured)") << "</td><td>"
        << (v.is_control ? "Control" : "Treatment") << "</td><td>" << v.traffic_percentile
        << "</td><td>" << v.requests << "</td><td>" << Percent(v.traffic_share, 1) << "</td><td>"
        << v.errors << "</td><td>" << Percent(v.error_rate) << "</td><td>" << v.client_errors
        << "</td><td>" << Opt(v.p50_ms, 2) << "</td><td>" << Opt(v.p95_ms, 2) << "</td><td>"
        << Opt(v.p99_ms, 2) << "</td></tr>\n";
  }
  out << "</table>\n";
  out << "<h2>Control vs treatment</h2>\n";
  if (report.comparisons.empty()) {
    out << "<p class=\"empty\" id=\"no-comparison\">No comparison (see the notes).</p>\n";
  } else {
    out << "<table id=\"comparisons\"><tr><th>treatment vs control</th><th>error rate "
           "diff</th><th>95 % CI (Wald)</th><th>p (z-test)</th><th>p50 diff ms</th><th>95 % CI "
           "(bootstrap)</th><th>p99 diff ms</th><th>95 % CI (bootstrap)</th><th>P(slower)</th>"
           "<th>p (Mann-Whitney)</th></tr>\n";
    for (const auto& c : report.comparisons) {
      out << "<tr><td>" << Escape(c.treatment) << " vs " << Escape(c.control) << "</td><td>"
          << (c.error_rate_difference ? Percent(*c.error_rate_difference) : "–") << "</td><td>"
          << Ci(c.error_rate_ci95, 100, 2) << "</td><td>" << P(c.error_rate_p_value) << "</td><td>"
          << Opt(c.p50_difference_ms, 2) << "</td><td>" << Ci(c.p50_difference_ci95, 1, 2)
          << "</td><td>" << Opt(c.p99_difference_ms, 2) << "</td><td>"
          << Ci(c.p99_difference_ci95, 1, 2) << "</td><td>"
          << Opt(c.probability_treatment_slower, 3) << "</td><td>" << P(c.latency_p_value)
          << "</td></tr>\n";
    }
    out << "</table>\n";
  }
  TrafficChart(out, report);
  LatencyChart(out, report);
  RolloutChart(out, report);
  out << "</body></html>\n";
  return out.str();
}

}  // namespace skiff::sdk
