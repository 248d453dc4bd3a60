// `skiff endpoint ...`: endpoints with up to 6 versions, traffic percentiles,
// a default version and control/treatment types (mirrors `az ml endpoint realtime`).
#include <iostream>

#include "service_common.h"
#include "skiff/util/service_name.h"

namespace skiff::cli {
namespace {

struct EndpointArgs {
  std::string name, target, version, ic, dc, key, set_key;
  std::vector<std::string> models;
  std::optional<int> traffic;
  std::optional<bool> is_default, is_control;
  int64_t grace_period = 0;
};

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
  return v;
}

void PrintEndpoint(const GlobalOptions& options, sdk::AksEndpoint e) {
  auto status = e.state();
  nlohmann::json versions = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : ValueOrThrow(e.versions())) {
    std::string models;
    nlohmann::json model_ids = nlohmann::json::array();
    for (const auto& m : v.models) {
      model_ids.push_back(m.name + ":" + std::to_string(m.version));
      models += (models.empty() ? "" : ",") + model_ids.back().get<std::string>();
    }
    versions.push_back({{"name", v.version_name},
                        {"trafficPercentile", v.traffic_percentile},
                        {"isDefault", v.is_default},
                        {"versionType", v.is_control ? "Control" : "Treatment"},
                        {"models", model_ids}});
    rows.push_back({v.version_name, std::to_string(v.traffic_percentile),
                    v.is_default ? "yes" : "", v.is_control ? "Control" : "Treatment", models});
  }
  auto dc = e.deployment_config();
  nlohmann::json json = {{"name", e.name()},
                         {"state", status.ok() ? ServiceStateName(status->state) : e.record().state},
                         {"scoringUri", e.scoring_uri()},
                         {"swaggerUri", e.swagger_uri()},
                         {"authEnabled", dc.auth_enabled && !dc.token_auth_enabled},
                         {"tokenAuthEnabled", dc.token_auth_enabled},
                         {"versions", versions}};
  if (options.output != "json") {
    std::cout << e.name() << "  " << json["state"].get<std::string>() << "  " << e.scoring_uri()
              << "\n";
  }
  Print(options, json, {"VERSION", "TRAFFIC %", "DEFAULT", "TYPE", "MODELS"}, rows);
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
  AddOutputOption(create, &options);
  create->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::ComputeTarget::get(ws, a.target));
    auto e = ValueOrThrow(sdk::AksEndpoint::deploy(ws, a.name, VersionFrom(ws, a),
                                                   ReadJsonFile(a.dc, "--dc"), target));
    WaitWithProgress(e);
    PrintEndpoint(options, ValueOrThrow(sdk::AksEndpoint::get(ws, a.name)));
  });

  CLI::App* add = named("create-version", "Add a version (loaded and warmed before it gets traffic)",
                        "skiff endpoint create-version -n my-ep --version-name v2 -m mlp:2 "
                        "--ic inferenceconfig.json --traffic-percentile 10");
  AddVersionFlags(add, a, true);
  AddOutputOption(add, &options);
  add->callback([&options, get, touch] {
    auto ws = OpenWorkspace(options);
    ThrowIfError(touch().create_version(VersionFrom(ws, a)));
    PrintEndpoint(options, get());
  });

  CLI::App* upd = named("update-version", "Change a version's traffic, default, type or model",
                        "skiff endpoint update-version -n my-ep --version-name v2 --traffic-percentile 50");
  AddVersionFlags(upd, a, false);
  AddOutputOption(upd, &options);
  upd->callback([&options, get, touch] {
    auto ws = OpenWorkspace(options);
    ThrowIfError(touch().update_version(VersionFrom(ws, a)));
    PrintEndpoint(options, get());
  });

  CLI::App* delv = named("delete-version", "Delete a version (its in-flight requests finish first)",
                         "skiff endpoint delete-version -n my-ep --version-name v2");
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
  list->callback([&options] {
    nlohmann::json json = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    for (auto& s : ValueOrThrow(sdk::Webservice::list(OpenWorkspace(options)))) {
      if (!s.is_endpoint()) continue;
      // The live state, as `service list` shows it.
      ReviveIfDown(s);
      auto status = s.state();
      const std::string state = status.ok() ? ServiceStateName(status->state) : "Unknown";
      json.push_back({{"name", s.name()},
                      {"state", state},
                      {"restarts", status.ok() ? status->restarts : 0},
                      {"scoringUri", s.scoring_uri()}});
      rows.push_back({s.name(), state, status.ok() ? std::to_string(status->restarts) : "",
                      s.scoring_uri()});
    }
    Print(options, json, {"NAME", "STATE", "RESTARTS", "SCORING URI"}, rows);
  });

  CLI::App* del = named("delete", "Delete an endpoint and all its versions", "skiff endpoint delete -n my-ep");
  del->callback([get] {
    ThrowIfError(get().delete_service());
    std::cout << "Deleted endpoint '" << a.name << "'\n";
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
  rotate->callback([get] {
    ThrowIfError(get().regen_signing_key(std::chrono::seconds(a.grace_period)));
    std::cout << "Rotated the signing key of '" << a.name << "'\n";
  });

  CLI::App* token = named("get-access-token", "Get a token for a token-auth endpoint",
                          "skiff endpoint get-access-token -n my-ep");
  AddOutputOption(token, &options);
  token->callback([&options, get] { PrintToken(options, get()); });
}

}  // namespace skiff::cli
