// SPDX-License-Identifier: Apache-2.0
// `skiff model deploy` and `skiff service ...` (mirror `az ml model deploy`
// and `az ml service ...`).
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "progress.h"
#include "service_common.h"

namespace skiff::cli {
namespace {

struct DeployArgs {
  std::string target, name, ic, dc, model_metadata_file;
  std::vector<std::string> models;
  bool overwrite = false, no_wait = false, dry_run = false;
  bool grpc = false;  // --grpc: the deployment config's `grpc`
  LogFlags log;       // --log-format, --log-level
};

struct ServiceArgs {
  std::string name, key, set_key, data, ic, dc, model_metadata_file;
  std::vector<std::string> models;
  int num_lines = 5000;
  int64_t grace_period = 0;
  bool dry_run = false;
  bool follow = false;
  LogFlags log;  // update's --log-format, --log-level
};

// Set by the first Ctrl-C (SIGINT) during `get-logs --follow`.
volatile std::sig_atomic_t g_follow_interrupted = 0;
extern "C" void OnFollowInterrupt(int) { g_follow_interrupted = 1; }

// `get-logs --follow`: each piece straight to stdout, so a pipe reader (or
// `| grep`) sees a line as soon as the target hands it over. Stops when
// stdout is gone, or on Ctrl-C: the target then ends its follow (on AKS its
// log streams are closed and its threads joined) and the command exits 0,
// as `kubectl logs -f` does. A second Ctrl-C kills at once (SA_RESETHAND).
class StdoutLogSink final : public skiff::LogSink {
 public:
  StdoutLogSink() {
    struct sigaction sa {};
    sa.sa_handler = OnFollowInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &previous_);
  }
  ~StdoutLogSink() override { sigaction(SIGINT, &previous_, nullptr); }
  bool Write(std::string_view text) override {
    if (g_follow_interrupted) return false;
    if (text.empty()) return std::ferror(stdout) == 0;
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0;
  }

 private:
  struct sigaction previous_ {};
};

}  // namespace

void AddDeployCommand(CLI::App* model, GlobalOptions& options) {
  static DeployArgs a;
  CLI::App* deploy = model->add_subcommand("deploy", "Deploy registered models as a web service");
  deploy->add_option("-n,--name", a.name, "Service name (3-32 lowercase letters, digits, '-')")->required();
  deploy->add_option("-m,--model", a.models,
                     "Model NAME:VERSION (repeatable: each is served at /v2/models/NAME/infer; the "
                     "Azure /score route and /v2/models/SERVICE go to the first); -m or -f is "
                     "required");
  deploy->add_option("-f,--model-metadata-file", a.model_metadata_file,
                     "JSON file of `model register --output-metadata-file`: deploy the model it "
                     "names (as -m)");
  deploy->add_option("--ct,--compute-target", a.target, "Compute target name")->required();
  deploy->add_option("--ic,--inference-config-file", a.ic, "inferenceconfig.json")->required();
  deploy->add_option("--dc,--deploy-config-file", a.dc, "deploymentconfig.json (Azure ML AKS schema)");
  deploy->add_flag("--overwrite", a.overwrite, "Replace a service of the same name");
  deploy->add_flag("--grpc", a.grpc,
                   "Also serve the KServe v2 gRPC API on a second port (`service show` prints "
                   "grpcUri; the deployment config's `grpc`)");
  AddLogFlags(deploy, &a.log, /*updating=*/false);
  deploy->add_flag("--no-wait", a.no_wait, "Return without waiting for the deployment");
  deploy->add_flag("--dry-run", a.dry_run,
                   "Print the Kubernetes objects as YAML (aks targets); deploy nothing");
  AddOutputOption(deploy, &options);
  deploy->footer(
      "Example:\n  skiff model deploy -n my-svc -m mlp:1 -ct local -ic inferenceconfig.json "
      "-dc deploymentconfig.json\n  skiff model deploy -n my-svc -m mlp:1 -ct myaks -ic "
      "inferenceconfig.json --dry-run > my-svc.yaml");
  deploy->callback([&options] {
    if (!a.model_metadata_file.empty()) {
      a.models.insert(a.models.begin(),
                      ReadModelMetadataFile(a.model_metadata_file, "--model-metadata-file"));
    }
    if (a.models.empty()) {
      throw CliError("no model given: pass -m NAME:VERSION or --model-metadata-file FILE", 2);
    }
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::ComputeTarget::get(ws, a.target));
    auto models = ResolveModels(ws, a.models);
    const std::string dc = WithLogFlags(WithGrpcFlag(ReadJsonFile(a.dc, "--dc"), a.grpc), a.log);
    if (a.dry_run) {
      std::cout << ValueOrThrow(sdk::Webservice::render_dry_run(
          ws, a.name, models, ReadJsonFile(a.ic, "--ic"), dc, target));
      return;
    }
    auto service = ValueOrThrow(sdk::Webservice::deploy(
        ws, a.name, models, ReadJsonFile(a.ic, "--ic"), dc, target, a.overwrite));
    if (!a.no_wait) WaitWithProgress(service);
    PrintService(options, ValueOrThrow(sdk::Webservice::get(ws, a.name)));
  });
}

void AddServiceCommands(CLI::App& app, GlobalOptions& options) {
  static ServiceArgs a;
  CLI::App* group = app.add_subcommand("service", "Manage deployed web services");
  group->require_subcommand(1);
  auto named = [&](const char* verb, const char* help, const char* example) {
    CLI::App* cmd = group->add_subcommand(verb, help);
    cmd->add_option("-n,--name", a.name, "Service name")->required();
    cmd->footer(std::string("Example:\n  ") + example);
    return cmd;
  };
  auto get = [&options] {
    return ValueOrThrow(sdk::Webservice::get(OpenWorkspace(options), a.name));
  };
  // For commands that need the service running: revives a killed one first.
  auto touch = [get] {
    sdk::Webservice service = get();
    ReviveIfDown(service);
    return service;
  };

  CLI::App* list = group->add_subcommand("list", "List services and endpoints");
  AddOutputOption(list, &options);
  list->footer("Example:\n  skiff service list --output json");
  list->callback([&options] { PrintServiceList(options, /*endpoints_only=*/false); });

  // After a reboot (or any kill of the supervisors): starts what is down again.
  static bool start_all = false;
  CLI::App* start = group->add_subcommand(
      "start", "Start a service (or --all of the workspace) whose runtime is down");
  CLI::Option* start_name = start->add_option("-n,--name", a.name, "Service name");
  CLI::Option* all = start->add_flag("--all", start_all, "Every service and endpoint");
  start_name->excludes(all);
  AddOutputOption(start, &options);
  start->footer(
      "Example:\n  skiff service start --all   (what the unit of `skiff computetarget create "
      "local --systemd-unit` runs at boot)");
  start->callback([&options] {
    if (!start_all && a.name.empty()) throw CliError("give -n NAME or --all");
    auto ws = OpenWorkspace(options);
    std::vector<sdk::Webservice> services;
    if (start_all) {
      services = ValueOrThrow(sdk::Webservice::list(ws));
    } else {
      services.push_back(ValueOrThrow(sdk::Webservice::get(ws, a.name)));
    }
    nlohmann::json json = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    std::string failed;
    for (auto& s : services) {
      // Waits until a started service is Healthy or Failed.
      auto revived = s.revive_if_down();
      auto status = s.state();
      const std::string state = status.ok() ? ServiceStateName(status->state) : "Unknown";
      std::string error = !revived.ok()  ? revived.status().message()
                          : !status.ok() ? status.status().message()
                                         : status->error;
      if (state != "Healthy") failed += (failed.empty() ? "" : ", ") + s.name();
      nlohmann::json item = {{"name", s.name()},
                             {"state", state},
                             {"started", revived.ok() && *revived},
                             {"scoringUri", s.scoring_uri()}};
      if (!error.empty()) item["error"] = error;
      json.push_back(item);
      rows.push_back({s.name(), state, revived.ok() && *revived ? "yes" : "no", s.scoring_uri()});
    }
    Print(options, json, {"NAME", "STATE", "STARTED", "SCORING URI"}, rows);
    if (!failed.empty()) {
      throw CliError("not Healthy after the start: " + failed +
                     "; see `skiff service get-logs -n NAME`");
    }
  });

  CLI::App* show = named("show", "Show a service's state and URIs", "skiff service show -n my-svc -o json");
  AddOutputOption(show, &options);
  show->callback([&options, touch] { PrintService(options, touch()); });

  CLI::App* keys = named("get-keys", "Show the primary and secondary keys", "skiff service get-keys -n my-svc");
  AddOutputOption(keys, &options);
  keys->callback([&options, get] { PrintKeys(options, get()); });

  CLI::App* regen = named("regen-key", "Regenerate (or set) one key; the other keeps working",
                          "skiff service regen-key -n my-svc --key Primary\n  "
                          "skiff service regen-key -n my-svc --key Secondary --set-key @key.txt");
  regen->add_option("-k,--key", a.key, "Primary or Secondary")->required();
  regen->add_option("--set-key", a.set_key,
                    "@FILE or - (stdin): set the key to the file's contents (>= 32 printable "
                    "characters, no spaces) instead of a random key; never the key itself");
  AddOutputOption(regen, &options);
  regen->callback([&options, touch] {
    // The secret first: a refused --set-key fails before anything is looked up.
    const std::string set_key = ReadSecretFlag(a.set_key, "--set-key");
    auto service = touch();
    ThrowIfError(service.regen_key(a.key, set_key));
    PrintKeys(options, service);
  });

  CLI::App* rotate = named("regen-signing-key",
                           "Rotate a token-auth service's signing key: earlier tokens are refused",
                           "skiff service regen-signing-key -n my-svc\n  "
                           "skiff service regen-signing-key -n my-svc --grace-period 600");
  rotate->add_option("--grace-period", a.grace_period,
                     "Seconds the previous key keeps verifying earlier tokens (default 0: "
                     "refused at once); it never signs again");
  rotate->callback([get, &options] {
    ThrowIfError(get().regen_signing_key(std::chrono::seconds(a.grace_period)));
    Done(options, "Rotated the signing key of '" + a.name + "'" +
                      (a.grace_period > 0 ? "; earlier tokens verify for " +
                                                std::to_string(a.grace_period) + " s more"
                                          : "; earlier tokens are refused"));
  });

  CLI::App* token = named("get-access-token", "Get a token for a token-auth service",
                          "skiff service get-access-token -n my-svc -o json");
  AddOutputOption(token, &options);
  token->callback([&options, get] { PrintToken(options, get()); });

  CLI::App* logs = named("get-logs", "Show the service's logs", "skiff service get-logs -n my-svc --num-lines 50");
  logs->add_option("--num-lines,-l,--tail", a.num_lines, "Lines from the end (default 5000)");
  logs->add_flag("--follow,-f", a.follow,
                 "Then print new lines as they are written (the server's log and its access "
                 "log: one JSON line per request; on AKS every router and version pod's log) "
                 "until interrupted (Ctrl-C)");
  logs->callback([touch] {
    if (!a.follow) {
      std::cout << ValueOrThrow(touch().get_logs(a.num_lines));
      return;
    }
    std::cout.flush();
    StdoutLogSink sink;
    ThrowIfError(touch().follow_logs(a.num_lines, &sink));
  });

  CLI::App* update = named("update", "Roll a service to new models or config without downtime",
                           "skiff service update -n my-svc -m mlp:2");
  update->add_option("-m,--model", a.models, "Model NAME:VERSION (repeatable)");
  update->add_option("-f,--model-metadata-file", a.model_metadata_file,
                     "JSON file of `model register --output-metadata-file`: serve the model it "
                     "names (as -m)");
  update->add_option("--ic,--inference-config-file", a.ic, "inferenceconfig.json");
  update->add_option("--dc,--deploy-config-file", a.dc, "deploymentconfig.json keys to change");
  AddLogFlags(update, &a.log, /*updating=*/true);
  update->add_flag("--dry-run", a.dry_run,
                   "Print the Kubernetes objects as YAML (aks targets); change nothing");
  AddOutputOption(update, &options);
  update->callback([&options, get] {
    auto ws = OpenWorkspace(options);
    auto service = get();
    if (!a.model_metadata_file.empty()) {
      a.models.push_back(ReadModelMetadataFile(a.model_metadata_file, "--model-metadata-file"));
    }
    if (a.models.empty() && a.ic.empty() && a.dc.empty() && !a.log.given()) {
      throw CliError(
          "nothing to update: pass -m (or --model-metadata-file), --ic, --dc, --log-format "
          "and/or --log-level");
    }
    const std::string dc = WithLogFlags(ReadJsonFile(a.dc, "--dc"), a.log);
    if (!a.dry_run) ReviveIfDown(service);
    if (a.dry_run) {
      std::cout << ValueOrThrow(service.render_update_dry_run(ResolveModels(ws, a.models),
                                                              ReadJsonFile(a.ic, "--ic"), dc));
      return;
    }
    // The SDK waits until the service applied the change: the elapsed time
    // ticks on a terminal meanwhile.
    ProgressReporter progress("Updating '" + a.name + "'");
    progress.Update("Transitioning");
    ThrowIfError(service.update(ResolveModels(ws, a.models), ReadJsonFile(a.ic, "--ic"), dc));
    progress.Done("Healthy");
    PrintService(options, get());
  });

  CLI::App* del = named("delete", "Delete a service (drains in-flight requests)", "skiff service delete -n my-svc");
  del->callback([get, &options] {
    ThrowIfError(get().delete_service());
    Done(options, "Deleted service '" + a.name + "'");
  });

  CLI::App* run = named("run", "Score a service with its key or token",
                        "skiff service run -n my-svc -d '{\"data\": [[1, 2, 3, 4]]}'");
  run->add_option("-d,--input-data", a.data, "JSON body for /score")->required();
  run->callback([touch] { std::cout << ValueOrThrow(touch().run(a.data)) << "\n"; });

  CLI::App* restart =
      named("restart", "Stop and start a service's server (same configuration and scoring URI)",
            "skiff service restart -n my-svc");
  AddOutputOption(restart, &options);
  restart->callback([&options, get] {
    auto service = get();
    std::cerr << "Restarting '" << a.name << "'..." << std::endl;
    ThrowIfError(service.restart());
    WaitWithProgress(service);
    PrintService(options, get());
  });
}

}  // namespace skiff::cli
