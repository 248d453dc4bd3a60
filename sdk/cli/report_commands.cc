// SPDX-License-Identifier: Apache-2.0
// `skiff endpoint report -n EP [--since 2h] [--exposure-log FILE] [--html FILE]`:
// per-version figures and control-vs-treatment tests (docs/rollout.md "The
// report"), through sdk::endpoint_report.
#include "report_commands.h"

#include <cstdio>
#include <iostream>

#include "service_common.h"
#include "skiff/sdk/report.h"
#include "skiff/util/atomic_file.h"

namespace skiff::cli {
namespace {

struct ReportArgs {
  std::string name, since, exposure_log, html;
};

std::string Fixed(const nlohmann::json& v, int digits, double scale = 1, const char* unit = "") {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%s", digits, v.get<double>() * scale, unit);
  return buf;
}

std::string Interval(const nlohmann::json& ci, int digits, double scale = 1) {
  if (!ci.is_object()) return "-";
  return "[" + Fixed(ci["low"], digits, scale) + ", " + Fixed(ci["high"], digits, scale) + "]";
}

void PrintReport(const GlobalOptions& options, const sdk::EndpointReport& report) {
  const nlohmann::json json = sdk::ToJson(report);
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : json["versions"]) {
    rows.push_back({v["name"].get<std::string>(), v["versionType"].get<std::string>(),
                    std::to_string(v["requests"].get<int64_t>()),
                    Fixed(v["trafficShare"], 1, 100, " %"),
                    std::to_string(v["errors"].get<int64_t>()), Fixed(v["errorRate"], 2, 100, " %"),
                    std::to_string(v["clientErrors"].get<int64_t>()), Fixed(v["p50Ms"], 2),
                    Fixed(v["p95Ms"], 2), Fixed(v["p99Ms"], 2)});
  }
  const bool table = options.output == "table" && options.query.empty();
  if (!table) {
    Print(options, json, {}, {});
    return;
  }
  std::cout << "Endpoint " << report.endpoint << ": source " << report.source
            << (report.since.empty() ? "" : ", since " + report.since)
            << (report.control.empty() ? "" : ", control " + report.control) << "\n";
  Print(options, json,
        {"VERSION", "TYPE", "REQUESTS", "SHARE", "5XX", "ERROR RATE", "4XX", "P50 MS", "P95 MS",
         "P99 MS"},
        rows);
  if (!report.comparisons.empty()) {
    std::vector<std::vector<std::string>> cmp;
    for (const auto& c : json["comparisons"]) {
      cmp.push_back({c["treatment"].get<std::string>() + " vs " + c["control"].get<std::string>(),
                     Fixed(c["errorRateDifference"], 2, 100, " %"),
                     Interval(c["errorRateCi95"], 2, 100), Fixed(c["errorRatePValue"], 4),
                     Fixed(c["p50DifferenceMs"], 2), Interval(c["p50DifferenceCi95"], 2),
                     Fixed(c["p99DifferenceMs"], 2), Interval(c["p99DifferenceCi95"], 2),
                     Fixed(c["latencyPValue"], 4)});
    }
    std::cout << "\n";
    Print(options, json["comparisons"],
          {"COMPARISON", "ERROR DIFF", "95% CI (WALD)", "P (Z)", "P50 DIFF MS",
           "95% CI (BOOTSTRAP)", "P99 DIFF MS", "95% CI (BOOTSTRAP)", "P (MANN-WHITNEY)"},
          cmp);
  }
  for (const auto& note : report.notes) std::cout << "note: " << note << "\n";
}

}  // namespace

void AddEndpointReportCommand(CLI::App* group, GlobalOptions& options) {
  static ReportArgs a;
  CLI::App* cmd = group->add_subcommand(
      "report",
      "Per-version requests, error rate, p50/p95/p99 and control-vs-treatment tests, from the "
      "exposure log (else the metrics) and the rollout history (docs/rollout.md)");
  cmd->add_option("-n,--name", a.name, "Endpoint name")->required();
  cmd->add_option("--since", a.since,
                  "Only requests since: a duration before now (90s, 30m, 2h, 7d) or an RFC 3339 "
                  "UTC time (2026-12-06T17:00:00Z)");
  cmd->add_option("--exposure-log", a.exposure_log,
                  "Read this copy of the exposure log (and its rotated FILE.1, FILE.2, ...) "
                  "instead of the target's own (on AKS the router pods' logs, read through the "
                  "Kubernetes API)");
  cmd->add_option("--html", a.html,
                  "Also write one self-contained HTML page with the charts to this file");
  AddOutputOption(cmd, &options);
  cmd->footer(
      "Example:\n  skiff endpoint report -n my-ep --since 2h --html report.html\n"
      "  skiff endpoint report -n my-ep --exposure-log ./exposure.jsonl   # a copy");
  cmd->callback([&options] {
    sdk::ReportOptions report_options;
    if (!a.since.empty()) {
      auto since = sdk::ParseSince(a.since, std::chrono::system_clock::now());
      if (!since.ok()) throw CliError(since.status().message(), kExitUsage);
      report_options.since = *since;
    }
    report_options.exposure_log = a.exposure_log;
    auto report =
        ValueOrThrow(sdk::endpoint_report(OpenWorkspace(options), a.name, report_options));
    if (!a.html.empty()) {
      Status written = WriteFileAtomically(a.html, sdk::RenderReportHtml(report), 0644);
      if (!written.ok()) throw CliError("--html '" + a.html + "': " + written.message());
      std::cerr << "Wrote the HTML report to " << a.html << "\n";
    }
    PrintReport(options, report);
  });
}

}  // namespace skiff::cli
