// SPDX-License-Identifier: Apache-2.0
// `skiff endpoint ...`: endpoints with up to 6 versions, traffic percentiles,
// a default version and control/treatment types (mirrors `az ml endpoint realtime`).
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "progress.h"
#include "report_commands.h"
#include "service_common.h"
#include "skiff/sdk/shadow_figures.h"
#include "skiff/util/service_name.h"
#include "status_view.h"

namespace skiff::cli {
namespace {

struct EndpointArgs {
  std::string name, target, version, ic, dc, key, set_key, version_dc, description;
  std::vector<std::string> models, tags;
  std::optional<int> traffic;
  std::optional<bool> is_default, is_control;
  int64_t grace_period = 0;
  bool overwrite = false, no_wait = false, dry_run = false;
  // endpoint update / run
  std::string data;
  std::vector<std::string> remove_tags, properties;
  std::optional<bool> auth_enabled, token_auth_enabled, app_insights;
  // Sticky A/B (docs/rollout.md) and the signature gate.
  std::string routing_key_header, routing_key_cookie;
  bool allow_signature_change = false;
  bool grpc = false;  // --grpc on create: the deployment config's `grpc`
  std::optional<int> shadow;  // --shadow-percentile
  LogFlags log;               // --log-format, --log-level on create and update
};

// --routing-key-header / --routing-key-cookie: one of the two, on create and
// update (the deploymentconfig.json key `routingKey`).
void AddRoutingKeyFlags(CLI::App* cmd, EndpointArgs& a) {
  auto* header = cmd->add_option(
      "--routing-key-header", a.routing_key_header,
      "Sticky A/B: requests carrying this header (e.g. x-user-id) get the same version every "
      "time; pinning by azureml-model-deployment still wins (docs/rollout.md)");
  auto* cookie = cmd->add_option("--routing-key-cookie", a.routing_key_cookie,
                                 "Sticky A/B by this cookie (e.g. uid) instead of a header");
  header->excludes(cookie);
}

// The routingKey the flags give, with the other kind removed (a merge patch).
std::optional<nlohmann::json> RoutingKeyPatch(const EndpointArgs& a) {
  if (!a.routing_key_header.empty()) {
    return nlohmann::json{{"header", a.routing_key_header}, {"cookie", nullptr}};
  }
  if (!a.routing_key_cookie.empty()) {
    return nlohmann::json{{"cookie", a.routing_key_cookie}, {"header", nullptr}};
  }
  return std::nullopt;
}

// The endpoint's deploymentconfig.json (--dc) with the routing key flags in.
std::string EndpointConfigJson(const EndpointArgs& a) {
  std::string text = WithLogFlags(WithGrpcFlag(ReadJsonFile(a.dc, "--dc"), a.grpc), a.log);
  auto patch = RoutingKeyPatch(a);
  if (!patch) return text;
  nlohmann::json dc =
      text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text, nullptr, false);
  if (!dc.is_object()) throw CliError("--dc file '" + a.dc + "' is not a JSON object");
  patch->erase(a.routing_key_header.empty() ? "header" : "cookie");
  dc["routingKey"] = *patch;
  return dc.dump();
}

void AddVersionFlags(CLI::App* cmd, EndpointArgs& a, bool creating) {
  auto* v = cmd->add_option("--version-name", a.version,
                            "Version name: 1-32 lowercase letters, digits or '-', starting with a "
                            "letter and ending with a letter or digit (e.g. v1)");
  v->required();
  auto* m = cmd->add_option("-m,--model", a.models, "Model NAME:VERSION (repeatable)");
  auto* ic = cmd->add_option("--ic,--inference-config-file", a.ic, "inferenceconfig.json");
  if (creating) {
    m->required();
    ic->required();
  }
  cmd->add_option("--traffic-percentile", a.traffic, "Share of traffic, 0-100");
  cmd->add_option("--is-default", a.is_default, "true/false: receives unallocated traffic");
  cmd->add_option("--is-control-version-type", a.is_control, "true/false: the control version");
}

// create-version and update-version: the version's own deployment config,
// tags and description (Azure's create_version/update_version arguments).
void AddOwnConfigFlags(CLI::App* cmd, EndpointArgs& a, bool creating) {
  cmd->add_option("--dc,--deploy-config-file", a.version_dc,
                  creating ? "deploymentconfig.json of this version alone: cpu, memory, gpu, "
                             "replicas, autoscaler, probes, timeouts (applied to the endpoint's "
                             "config; auth, keys, namespace and port stay the endpoint's)"
                           : "deploymentconfig.json keys to change on this version (merged "
                             "into its config)");
  cmd->add_option("--tag,--add-tag", a.tags,
                  "KEY=VALUE tag of this version (repeatable; KEY= removes it)");
  cmd->add_option("--description", a.description, "Description of this version");
  cmd->add_flag("--allow-signature-change", a.allow_signature_change,
                "Accept inputs/outputs that differ from the default version's: the version "
                "gets no drawn traffic until it is made the default (docs/rollout.md)");
  cmd->add_option("--shadow-percentile", a.shadow,
                  "Shadow traffic, 0-100: this share of live requests is also sent to the "
                  "version, its answers compared and never returned; 0 turns it off. A "
                  "shadow version takes no drawn traffic (docs/rollout.md#shadow-traffic)");
}


sdk::EndpointVersion VersionFrom(const sdk::Workspace& ws, const EndpointArgs& a) {
  // Checked here as well as in the SDK so the error names the flag.
  ThrowIfError(ValidateVersionName(a.version, "--version-name"));
  sdk::EndpointVersion v;
  v.name = a.version;
  v.models = ResolveModels(ws, a.models);
  v.inference_config_json = ReadJsonFile(a.ic, "--ic");
  v.traffic_percentile = a.traffic;
  v.is_default = a.is_default;
  v.is_control_version_type = a.is_control;
  v.deployment_config_json = ReadJsonFile(a.version_dc, "--dc");
  v.tags = ParsePairs(a.tags, "--tag");
  if (!a.description.empty()) v.description = a.description;
  v.allow_signature_change = a.allow_signature_change;
  v.shadow_percentile = a.shadow;
  return v;
}

// `endpoint show`'s summary of a shadow version's comparisons.
nlohmann::json ShadowJson(const sdk::ShadowFigures& f) {
  auto optional = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  nlohmann::json j = {
      {"compared", f.compared},
      {"errors", f.errors},
      {"dropped", f.dropped},
      {"errorMismatch", {{"liveFailed", f.live_failed}, {"shadowFailed", f.shadow_failed}}},
      {"argmaxAgreement", optional(f.argmax_agreement())},
      {"outputMismatches", f.output_mismatches},
      {"meanMaxAbsDiff", f.diff_count > 0 ? nlohmann::json(f.diff_sum / f.diff_count)
                                          : nlohmann::json()},
      // JSON has no infinity: a difference past the last bucket reads "+Inf".
      {"maxAbsDiffAtMost", f.diff_bound && std::isinf(*f.diff_bound) ? nlohmann::json("+Inf")
                                                                     : optional(f.diff_bound)},
      {"meanLatencyDeltaMs", f.latency_count > 0
                                 ? nlohmann::json(f.latency_sum_s / f.latency_count * 1e3)
                                 : nlohmann::json()}};
  return j;
}

// One table cell: "120 compared, 98.3% argmax, diff <= 0.01, 3 dropped".
std::string ShadowCell(const sdk::ShadowFigures& f) {
  std::ostringstream out;
  out << f.compared << " compared";
  if (auto agreement = f.argmax_agreement()) {
    out << ", " << std::fixed << std::setprecision(1) << *agreement * 100 << "% argmax";
  }
  if (f.diff_bound) out << ", diff <= " << std::defaultfloat << *f.diff_bound;
  if (f.errors > 0) out << ", " << f.errors << " errors";
  if (f.dropped > 0) out << ", " << f.dropped << " dropped";
  return out.str();
}

// A version's own settings, as `endpoint show` lists them.
nlohmann::json VersionConfigJson(const config::DeploymentConfig& dc) {
  const auto& r = dc.container_resource_requirements;
  nlohmann::json j = {{"cpu", r.cpu},
                      {"memoryInGB", r.memory_in_gb},
                      {"gpu", r.gpu},
                      {"autoscaleEnabled", dc.auto_scaler.autoscale_enabled},
                      {"maxConcurrentRequestsPerContainer", dc.max_concurrent_requests_per_container},
                      {"scoringTimeoutMs", dc.scoring_timeout_ms}};
  if (dc.num_replicas) j["numReplicas"] = *dc.num_replicas;
  if (dc.auto_scaler.autoscale_enabled) {
    j["minReplicas"] = dc.auto_scaler.min_replicas;
    j["maxReplicas"] = dc.auto_scaler.max_replicas;
  }
  return j;
}

void PrintEndpoint(const GlobalOptions& options, sdk::AksEndpoint e) {
  auto status = e.state();
  const config::DeploymentConfig dc = e.deployment_config();
  nlohmann::json versions = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  const auto records = ValueOrThrow(e.versions());
  const auto share = EffectiveTraffic(records);
  const LiveFigures figures = status.ok() ? FiguresOf(*status) : LiveFigures{};
  // Shadow figures come from the running server's metrics, read only when
  // a version is (or was) a shadow.
  std::optional<StatusOr<std::map<std::string, sdk::ShadowFigures>>> shadow_figures;
  for (const auto& v : records) {
    if (v.shadow_percentile > 0 && !shadow_figures) shadow_figures = sdk::ReadShadowFigures(e);
  }
  for (const auto& v : records) {
    std::string models;
    nlohmann::json model_ids = nlohmann::json::array();
    for (const auto& m : v.models) {
      model_ids.push_back(m.name + ":" + std::to_string(m.version));
      models += (models.empty() ? "" : ",") + model_ids.back().get<std::string>();
    }
    const config::DeploymentConfig vdc = e.version_deployment_config(v);
    nlohmann::json version = {{"name", v.version_name},
                              {"trafficPercentile", v.traffic_percentile},
                              // What it gets: the default takes what the others leave.
                              {"effectiveTrafficPercentile", share.at(v.version_name)},
                              {"isDefault", v.is_default},
                              {"versionType", v.is_control ? "Control" : "Treatment"},
                              {"models", model_ids},
                              {"deploymentConfig", VersionConfigJson(vdc)},
                              {"tags", vdc.tags},
                              {"description", vdc.description},
                              {"createdTime", v.created_time},
                              {"updatedTime", v.updated_time}};
    // A version without a config of its own has no tags or description:
    // the endpoint's describe the endpoint.
    if (v.deployment_config_json.empty() || v.deployment_config_json == "{}") {
      version["tags"] = nlohmann::json::object();
      version["description"] = "";
    }
    version["shadowPercentile"] = v.shadow_percentile;
    std::string shadow_cell;
    if (v.shadow_percentile > 0) {
      if (shadow_figures->ok()) {
        const auto& by_version = **shadow_figures;
        auto it = by_version.find(v.version_name);
        const sdk::ShadowFigures shadow = it == by_version.end() ? sdk::ShadowFigures{} : it->second;
        version["shadow"] = ShadowJson(shadow);
        shadow_cell = std::to_string(v.shadow_percentile) + "%: " + ShadowCell(shadow);
      } else {
        version["shadow"] = {{"error", shadow_figures->status().message()}};
        shadow_cell = std::to_string(v.shadow_percentile) + "%";
      }
    }
    const LiveFigures f = VersionFiguresOf(status, v.version_name);
    AddFigures(f, &version);
    version.erase("replicas");
    versions.push_back(version);
    const auto& res = vdc.container_resource_requirements;
    // memoryInGB is GiB, as the targets apply it (k8s Gi, the local cgroup).
    std::ostringstream size;
    size << res.cpu << " cpu, "
         << HumanBytes(static_cast<int64_t>(res.memory_in_gb * static_cast<double>(1LL << 30)))
         << ", "
         << (vdc.num_replicas ? std::to_string(*vdc.num_replicas) + " replicas"
                              : "autoscale " + std::to_string(vdc.auto_scaler.min_replicas) + "-" +
                                    std::to_string(vdc.auto_scaler.max_replicas));
    rows.push_back({v.version_name, std::to_string(share.at(v.version_name)),
                    v.is_default ? "yes" : "", v.is_control ? "Control" : "Treatment", models,
                    size.str(), RateCell(f), ErrorRateCell(f), shadow_cell});
  }
  nlohmann::json json = {{"name", e.name()},
                         {"state", status.ok() ? ServiceStateName(status->state) : e.record().state},
                         {"scoringUri", e.scoring_uri()},
                         {"swaggerUri", e.swagger_uri()},
                         {"authEnabled", dc.auth_enabled && !dc.token_auth_enabled},
                         {"tokenAuthEnabled", dc.token_auth_enabled},
                         {"tags", dc.tags},
                         {"properties", dc.properties},
                         {"description", dc.description},
                         {"createdTime", e.record().created_time},
                         {"updatedTime", e.record().updated_time},
                         {"versions", versions}};
  // Sticky A/B: the key's name (null when requests are drawn); never the salt.
  json["routingKey"] = config::ToJson(dc).value("routingKey", nlohmann::json());
  // gRPC (`grpc.enabled`): HOST:PORT where the target reports one.
  if (status.ok() && !status->grpc_uri.empty()) json["grpcUri"] = status->grpc_uri;
  json["restarts"] = status.ok() ? status->restarts : 0;
  AddFigures(figures, &json);
  const std::string error = !status.ok() ? status.status().message() : status->error;
  if (!error.empty()) json["error"] = error;
  // A table of the endpoint (with its header row), then one of its
  // versions; other formats print the JSON alone.
  if (options.output == "table" && options.query.empty()) {
    Print(options, json,
          {"NAME", "STATE", "REPLICAS", "RESTARTS", "REQ/S", "ERROR RATE", "SCORING URI"},
          {{e.name(), json["state"].get<std::string>(), ReplicasCell(figures),
            status.ok() ? std::to_string(status->restarts) : "-", RateCell(figures),
            ErrorRateCell(figures), e.scoring_uri()}});
    if (!error.empty()) std::cout << e.name() << ": " << error << "\n";
    std::cout << "\n";
  }
  Print(options, json,
        {"VERSION", "TRAFFIC %", "DEFAULT", "TYPE", "MODELS", "SIZE", "REQ/S", "ERROR RATE",
         "SHADOW"},
        rows);
}

}  // namespace

void AddEndpointCommands(CLI::App& app, GlobalOptions& options) {
  static EndpointArgs a;
  CLI::App* group = app.add_subcommand("endpoint", "Manage endpoints with versions and traffic splits");
  group->require_subcommand(1);
  auto named = [&](const char* verb, const char* help, const char* example) {
    CLI::App* cmd = group->add_subcommand(verb, help);
    cmd->add_option("-n,--name", a.name, "Endpoint name")->required();
    cmd->footer(std::string("Example:\n  ") + example);
    return cmd;
  };
  auto get = [&options] { return ValueOrThrow(sdk::AksEndpoint::get(OpenWorkspace(options), a.name)); };
  // For commands that need the endpoint running: revives a killed one first.
  auto touch = [get] {
    sdk::AksEndpoint e = get();
    ReviveIfDown(e);
    return e;
  };

  CLI::App* create = named("create", "Create an endpoint with its first (default) version",
                           "skiff endpoint create -n my-ep --ct local --version-name v1 -m mlp:1 "
                           "--ic inferenceconfig.json --dc deploymentconfig.json");
  create->add_option("--ct,--compute-target", a.target, "Compute target name")->required();
  create->add_option("--dc,--deploy-config-file", a.dc, "deploymentconfig.json for the endpoint");
  AddVersionFlags(create, a, true);
  AddRoutingKeyFlags(create, a);
  create->add_flag("--grpc", a.grpc,
                   "Also serve the KServe v2 gRPC API on a second port (`endpoint show` prints "
                   "grpcUri; the deployment config's `grpc`)");
  AddLogFlags(create, &a.log, /*updating=*/false);
  // As `model deploy` has them.
  create->add_flag("--overwrite", a.overwrite, "Replace a service or endpoint of the same name");
  create->add_flag("--no-wait", a.no_wait, "Return without waiting for the endpoint to be Healthy");
  create->add_flag("--dry-run", a.dry_run,
                   "Print the Kubernetes objects as YAML (aks targets); deploy nothing");
  AddOutputOption(create, &options);
  create->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::ComputeTarget::get(ws, a.target));
    if (a.dry_run) {
      std::cout << ValueOrThrow(sdk::AksEndpoint::render_dry_run(ws, a.name, VersionFrom(ws, a),
                                                                 EndpointConfigJson(a), target));
      return;
    }
    auto e = ValueOrThrow(sdk::AksEndpoint::deploy(ws, a.name, VersionFrom(ws, a),
                                                   EndpointConfigJson(a), target, a.overwrite));
    if (!a.no_wait) WaitWithProgress(e);
    PrintEndpoint(options, ValueOrThrow(sdk::AksEndpoint::get(ws, a.name)));
  });

  CLI::App* update = named("update",
                           "Change the endpoint's tags, properties, description, auth or "
                           "deployment config (mirrors `az ml endpoint realtime update`)",
                           "skiff endpoint update -n my-ep --add-tag team=ml --description "
                           "\"A/B of v1 and v2\"\n  skiff endpoint update -n my-ep --dc "
                           "scoring-timeout.json\n  (traffic: `endpoint update-version "
                           "--traffic-percentile`)");
  update->add_option("--dc,--deploy-config-file", a.dc,
                     "deploymentconfig.json keys to change on the endpoint (merged); versions "
                     "with their own --dc keep their sizes");
  update->add_option("--tag,--add-tag", a.tags, "KEY=VALUE tag to set (repeatable)");
  update->add_option("--remove-tag", a.remove_tags, "Tag KEY to remove (repeatable)");
  update->add_option("--add-property", a.properties, "KEY=VALUE property to set (repeatable)");
  update->add_option("--description", a.description, "The endpoint's description");
  update->add_option("--ae,--auth-enabled", a.auth_enabled, "true/false: key auth");
  update->add_option("--token-auth-enabled", a.token_auth_enabled, "true/false: token auth");
  update->add_option("--ai,--enable-app-insights", a.app_insights, "true/false: request log");
  AddRoutingKeyFlags(update, a);
  AddLogFlags(update, &a.log, /*updating=*/true);
  AddOutputOption(update, &options);
  update->callback([&options, get, touch] {
    nlohmann::json patch = nlohmann::json::object();
    if (!a.dc.empty()) {
      patch = nlohmann::json::parse(ReadJsonFile(a.dc, "--dc"), nullptr, false);
      if (!patch.is_object()) throw CliError("--dc file '" + a.dc + "' is not a JSON object");
    }
    for (const auto& [key, value] : ParsePairs(a.tags, "--tag")) patch["tags"][key] = value;
    for (const auto& key : a.remove_tags) patch["tags"][key] = nullptr;  // merge patch: remove
    for (const auto& [key, value] : ParsePairs(a.properties, "--add-property")) patch["properties"][key] = value;
    if (!a.description.empty()) patch["description"] = a.description;
    if (a.auth_enabled) patch["authEnabled"] = *a.auth_enabled;
    if (a.token_auth_enabled) patch["tokenAuthEnabled"] = *a.token_auth_enabled;
    if (a.app_insights) patch["appInsightsEnabled"] = *a.app_insights;
    if (auto key = RoutingKeyPatch(a)) patch["routingKey"] = *key;
    ApplyLogFlags(a.log, &patch);
    if (patch.empty()) {
      throw CliError(
          "nothing to update: pass --dc, --add-tag, --remove-tag, --add-property, "
          "--description, --auth-enabled, --token-auth-enabled, --ai, "
          "--routing-key-header, --routing-key-cookie, --log-format or --log-level");
    }
    auto e = touch();
    ProgressReporter progress("Updating '" + a.name + "'");
    progress.Update("Transitioning");
    ThrowIfError(e.update({}, "", patch.dump()));
    progress.Done("Healthy");
    PrintEndpoint(options, get());
  });

  CLI::App* run = named("run", "Score the endpoint with its key or token (traffic split applies)",
                        "skiff endpoint run -n my-ep -d '{\"data\": [[1, 2, 3, 4]]}'");
  run->add_option("-d,--input-data", a.data, "JSON body for /score")->required();
  run->callback([touch] { std::cout << ValueOrThrow(touch().run(a.data)) << "\n"; });

  CLI::App* add = named("create-version", "Add a version (loaded and warmed before it gets traffic)",
                        "skiff endpoint create-version -n my-ep --version-name v2 -m mlp:2 "
                        "--ic inferenceconfig.json --traffic-percentile 10 --dc v2-dc.json "
                        "--tag stage=canary");
  AddVersionFlags(add, a, true);
  AddOwnConfigFlags(add, a, true);
  add->add_flag("--dry-run", a.dry_run,
                "Print the Kubernetes objects the change would apply (aks targets); change "
                "nothing");
  AddOutputOption(add, &options);
  add->callback([&options, get, touch] {
    auto ws = OpenWorkspace(options);
    if (a.dry_run) {
      std::cout << ValueOrThrow(get().render_version_dry_run(VersionFrom(ws, a), true));
      return;
    }
    ThrowIfError(touch().create_version(VersionFrom(ws, a)));
    PrintEndpoint(options, get());
  });

  CLI::App* upd = named("update-version", "Change a version's traffic, default, type, model, config or tags",
                        "skiff endpoint update-version -n my-ep --version-name v2 --traffic-percentile 50");
  AddVersionFlags(upd, a, false);
  AddOwnConfigFlags(upd, a, false);
  upd->add_flag("--dry-run", a.dry_run,
                "Print the Kubernetes objects the change would apply (aks targets); change "
                "nothing");
  AddOutputOption(upd, &options);
  upd->callback([&options, get, touch] {
    auto ws = OpenWorkspace(options);
    if (a.dry_run) {
      std::cout << ValueOrThrow(get().render_version_dry_run(VersionFrom(ws, a), false));
      return;
    }
    ThrowIfError(touch().update_version(VersionFrom(ws, a)));
    PrintEndpoint(options, get());
  });

  CLI::App* delv = named("delete-version",
                         "Delete a version (its in-flight requests finish first). The default "
                         "version cannot be deleted while other versions remain: make another "
                         "one the default first (update-version --is-default true); the last "
                         "version cannot be deleted: delete the endpoint",
                         "skiff endpoint update-version -n my-ep --version-name v2 --is-default "
                         "true\n  skiff endpoint delete-version -n my-ep --version-name v1");
  delv->add_option("--version-name", a.version, "Version name")->required();
  AddOutputOption(delv, &options);
  delv->callback([&options, get, touch] {
    ThrowIfError(touch().delete_version(a.version));
    PrintEndpoint(options, get());
  });

  CLI::App* show = named("show", "Show an endpoint and its versions", "skiff endpoint show -n my-ep -o json");
  AddOutputOption(show, &options);
  show->callback([&options, touch] { PrintEndpoint(options, touch()); });

  CLI::App* list = group->add_subcommand("list", "List endpoints");
  AddOutputOption(list, &options);
  list->footer("Example:\n  skiff endpoint list");
  list->callback([&options] { PrintServiceList(options, /*endpoints_only=*/true); });

  CLI::App* del = named("delete", "Delete an endpoint and all its versions", "skiff endpoint delete -n my-ep");
  del->callback([get, &options] {
    ThrowIfError(get().delete_service());
    Done(options, "Deleted endpoint '" + a.name + "'");
  });

  CLI::App* keys = named("get-keys", "Show the endpoint's keys", "skiff endpoint get-keys -n my-ep");
  AddOutputOption(keys, &options);
  keys->callback([&options, get] { PrintKeys(options, get()); });

  CLI::App* regen = named("regen-key", "Regenerate (or set) one key",
                          "skiff endpoint regen-key -n my-ep --key Secondary\n  "
                          "skiff endpoint regen-key -n my-ep --key Primary --set-key - < key.txt");
  regen->add_option("-k,--key", a.key, "Primary or Secondary")->required();
  regen->add_option("--set-key", a.set_key,
                    "@FILE or - (stdin): set the key to the file's contents (>= 32 printable "
                    "characters, no spaces) instead of a random key; never the key itself");
  AddOutputOption(regen, &options);
  regen->callback([&options, touch] {
    // The secret first: a refused --set-key fails before anything is looked up.
    const std::string set_key = ReadSecretFlag(a.set_key, "--set-key");
    auto e = touch();
    ThrowIfError(e.regen_key(a.key, set_key));
    PrintKeys(options, e);
  });

  CLI::App* rotate = named("regen-signing-key",
                           "Rotate a token-auth endpoint's signing key: earlier tokens are refused",
                           "skiff endpoint regen-signing-key -n my-ep --grace-period 600");
  rotate->add_option("--grace-period", a.grace_period,
                     "Seconds the previous key keeps verifying earlier tokens (default 0)");
  rotate->callback([get, &options] {
    ThrowIfError(get().regen_signing_key(std::chrono::seconds(a.grace_period)));
    Done(options, "Rotated the signing key of '" + a.name + "'");
  });

  CLI::App* token = named("get-access-token", "Get a token for a token-auth endpoint",
                          "skiff endpoint get-access-token -n my-ep");
  AddOutputOption(token, &options);
  token->callback([&options, get] { PrintToken(options, get()); });

  AddEndpointReportCommand(group, options);
  AddRolloutCommands(group, options);
}

}  // namespace skiff::cli
