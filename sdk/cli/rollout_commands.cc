// SPDX-License-Identifier: Apache-2.0
// `skiff endpoint rollout start|status|pause|resume|abort|run`: progressive
// delivery with automatic rollback (docs/rollout.md "Progressive delivery").
#include <iostream>
#include <sstream>

#include "service_common.h"

namespace skiff::cli {
namespace {

struct RolloutArgs {
  std::string name, version, steps, interval = "60s", policy = "builtin";
  double max_error_rate = 0.01;
  std::optional<double> max_p99_ms;
  int64_t min_requests = 100;
  bool compare_to_control = false, dry_run = false;
};

std::string Figure(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

nlohmann::json InfoJson(const sdk::RolloutInfo& info) {
  const RolloutState& s = info.state;
  nlohmann::json j = {{"endpoint", s.endpoint},
                      {"version", s.plan.candidate},
                      {"status", std::string(RolloutStatusName(s.status))},
                      {"policy", s.policy},
                      {"steps", s.plan.steps},
                      {"step", s.progress.step + 1},
                      {"trafficPercentile", info.traffic_percentile},
                      {"startTrafficPercentile", s.plan.start_traffic},
                      {"stepIntervalMs", s.plan.step_interval_ms},
                      {"maxErrorRate", s.plan.max_error_rate},
                      {"minRequests", s.plan.min_requests},
                      {"compareToControl", s.plan.compare_to_control},
                      {"startedTime", s.started_time},
                      {"controller", info.controller},
                      {"controllerRunning", info.controller_running}};
  if (s.plan.max_p99_ms) j["maxP99Ms"] = *s.plan.max_p99_ms;
  if (!s.finished_time.empty()) j["finishedTime"] = s.finished_time;
  if (!s.gate.empty()) j["gate"] = s.gate;
  if (s.observed) j["observed"] = *s.observed;
  if (s.limit) j["limit"] = *s.limit;
  if (!s.reason.empty()) j["reason"] = s.reason;
  if (s.rollback_pending) j["rollbackPending"] = true;
  return j;
}

void PrintInfo(const GlobalOptions& options, const sdk::RolloutInfo& info) {
  const RolloutState& s = info.state;
  std::string gate;
  if (!s.gate.empty()) {
    gate = s.gate + (s.observed ? " " + Figure(*s.observed) : "") +
           (s.limit ? " > " + Figure(*s.limit) : "");
  }
  Print(options, InfoJson(info),
        {"ENDPOINT", "VERSION", "STATUS", "STEP", "TRAFFIC", "GATE", "CONTROLLER"},
        {{s.endpoint, s.plan.candidate, std::string(RolloutStatusName(s.status)),
          std::to_string(s.progress.step + 1) + "/" + std::to_string(s.plan.steps.size()),
          std::to_string(info.traffic_percentile) + " %", gate,
          info.controller_running ? info.controller : ""}});
}

}  // namespace

void AddRolloutCommands(CLI::App* endpoint, GlobalOptions& options) {
  static RolloutArgs a;
  CLI::App* group = endpoint->add_subcommand(
      "rollout",
      "Progressive delivery: step a version's traffic up while it stays healthy, "
      "roll back at once when it does not");
  group->require_subcommand(1);
  auto named = [&](const char* verb, const char* help, const char* example) {
    CLI::App* cmd = group->add_subcommand(verb, help);
    cmd->add_option("-n,--name", a.name, "Endpoint name")->required();
    cmd->footer(std::string("Example:\n  ") + example);
    return cmd;
  };
  auto get = [&options] {
    return ValueOrThrow(sdk::AksEndpoint::get(OpenWorkspace(options), a.name));
  };

  CLI::App* start = named("start", "Start a progressive rollout of a version",
                          "skiff endpoint rollout start -n my-ep --version-name v2 --steps "
                          "5,25,50,100 --step-interval 60s --max-error-rate 0.01 --max-p99-ms 50");
  start->add_option("--version-name", a.version, "The version to roll out (not the default)")
      ->required();
  start
      ->add_option("--steps", a.steps,
                   "Its traffic percentile per step, increasing, 1-100 (e.g. 5,25,50,100)")
      ->required();
  start->add_option("--step-interval", a.interval,
                    "How long each step holds at least: ms, s, m or h (default 60s)");
  start->add_option("--max-error-rate", a.max_error_rate,
                    "Most errors (5xx, timeouts) per request the candidate may have, 0-1 "
                    "(default 0.01)");
  start->add_option("--max-p99-ms", a.max_p99_ms, "Highest p99 latency in ms (no gate if unset)");
  start->add_option("--min-requests", a.min_requests,
                    "Candidate requests a step needs before it may pass (default 100)");
  start->add_flag("--compare-to-control", a.compare_to_control,
                  "The limits are added to the control version's figures over the same window");
  start->add_option("--policy", a.policy,
                    "Rollout policy: builtin, or a rollout plugin's name (skiff plugins list)");
  start->add_flag("--dry-run", a.dry_run, "Print the plan and the traffic changes; change nothing");
  AddOutputOption(start, &options);
  start->callback([&options, get] {
    sdk::RolloutOptions o;
    o.version_name = a.version;
    o.steps = ValueOrThrow(sdk::ParseRolloutSteps(a.steps));
    o.step_interval = ValueOrThrow(sdk::ParseStepInterval(a.interval));
    o.max_error_rate = a.max_error_rate;
    o.max_p99_ms = a.max_p99_ms;
    o.min_requests = a.min_requests;
    o.compare_to_control = a.compare_to_control;
    o.policy = a.policy;
    sdk::AksEndpoint e = get();
    if (a.dry_run) {
      std::cout << ValueOrThrow(e.rollout_plan(o));
      return;
    }
    ReviveIfDown(e);
    ValueOrThrow(e.rollout_start(o));
    PrintInfo(options, ValueOrThrow(e.rollout_status(false)));
  });

  CLI::App* status = named("status",
                           "Show the endpoint's rollout (and restart its controller "
                           "if it is gone)",
                           "skiff endpoint rollout status -n my-ep -o json");
  AddOutputOption(status, &options);
  status->callback([&options, get] {
    auto info = ValueOrThrow(get().rollout_status(true));
    if (info.controller_started) Info("started the rollout controller again");
    PrintInfo(options, info);
  });

  CLI::App* pause =
      named("pause", "Hold the rollout on its step", "skiff endpoint rollout pause -n my-ep");
  AddOutputOption(pause, &options);
  pause->callback([&options, get] {
    auto e = get();
    ThrowIfError(e.rollout_pause());
    PrintInfo(options, ValueOrThrow(e.rollout_status(false)));
  });

  CLI::App* resume = named("resume", "Continue a paused rollout (its step's window starts again)",
                           "skiff endpoint rollout resume -n my-ep");
  AddOutputOption(resume, &options);
  resume->callback([&options, get] {
    auto e = get();
    ThrowIfError(e.rollout_resume());
    PrintInfo(options, ValueOrThrow(e.rollout_status(false)));
  });

  CLI::App* abort = named("abort",
                          "Stop the rollout; the version's traffic goes back to where "
                          "it was when the rollout started",
                          "skiff endpoint rollout abort -n my-ep");
  AddOutputOption(abort, &options);
  abort->callback([&options, get] {
    auto e = get();
    ThrowIfError(e.rollout_abort());
    PrintInfo(options, ValueOrThrow(e.rollout_status(false)));
  });

  CLI::App* run = named("run",
                        "Run the rollout's controller in the foreground until the "
                        "rollout ends (`rollout start` starts one detached)",
                        "skiff endpoint rollout run -n my-ep");
  run->callback([get] { ThrowIfError(get().rollout_run()); });
}

}  // namespace skiff::cli
