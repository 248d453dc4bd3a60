// SPDX-License-Identifier: Apache-2.0
#include "service_common.h"

#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "progress.h"
#include "status_view.h"
#include "skiff/store/model_name.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"

namespace skiff::cli {

sdk::Workspace OpenWorkspace(const GlobalOptions& options) {
  return ValueOrThrow(sdk::Workspace::Open(options.workspace));
}

std::string ReadJsonFile(const std::string& path, const std::string& flag) {
  if (path.empty()) return "";
  auto text = skiff::ReadFile(path);
  if (!text.ok()) throw CliError(flag + " file '" + path + "' cannot be read; check the path");
  return *text;
}

std::string WithGrpcFlag(const std::string& dc_text, bool grpc) {
  if (!grpc) return dc_text;
  nlohmann::json dc =
      dc_text.empty() ? nlohmann::json::object() : nlohmann::json::parse(dc_text, nullptr, false);
  if (!dc.is_object()) throw CliError("the --dc file is not a JSON object");
  dc["grpc"] = {{"enabled", true}};
  return dc.dump();
}

void AddLogFlags(CLI::App* cmd, LogFlags* flags, bool updating) {
  const std::string unset = updating ? "; unchanged when not given" : "";
  cmd->add_option("--log-format", flags->format,
                  "The service's log lines (skiff-server, skiff-supervisor): text (default) or "
                  "json, one object per line; the deployment config's `logFormat`" +
                      unset)
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--log-level", flags->level,
                  "Lowest level logged: debug, info (default), warning or error; the "
                  "deployment config's `logLevel`" +
                      unset)
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
}

void ApplyLogFlags(const LogFlags& flags, nlohmann::json* dc) {
  if (!flags.format.empty()) (*dc)["logFormat"] = flags.format;
  if (!flags.level.empty()) (*dc)["logLevel"] = flags.level;
}

std::string WithLogFlags(const std::string& dc_text, const LogFlags& flags) {
  if (!flags.given()) return dc_text;
  nlohmann::json dc =
      dc_text.empty() ? nlohmann::json::object() : nlohmann::json::parse(dc_text, nullptr, false);
  if (!dc.is_object()) throw CliError("the --dc file is not a JSON object");
  ApplyLogFlags(flags, &dc);
  return dc.dump();
}

std::string ReadSecretFlag(const std::string& value, const std::string& flag) {
  if (value.empty()) return "";
  const std::string example = "e.g. `" + flag + " @key.txt` or `" + flag + " - < key.txt`";
  // Bounded: a key is at most 8 KB (docs/auth.md); a huge file is a mistake.
  constexpr size_t kMaxSecretBytes = 16 * 1024;
  std::string text;
  if (value == "-") {
    std::stringstream in;
    in << std::cin.rdbuf();
    text = in.str();
  } else if (value[0] == '@') {
    const std::string path = value.substr(1);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CliError(flag + " file '" + path + "' cannot be read; check the path");
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  } else {
    throw CliError(flag +
                   " takes @FILE or - (standard input), not the secret itself: a value on "
                   "the command line is visible in `ps` and shell history; " +
                   example);
  }
  if (text.size() > kMaxSecretBytes) {
    throw CliError(flag + " value is over " + std::to_string(kMaxSecretBytes) + " bytes");
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) throw CliError(flag + " value is empty; " + example);
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7F) {
      // The value itself is never echoed: it is a secret.
      throw CliError(flag +
                     " value holds whitespace or a control character (only one trailing "
                     "newline is dropped); a key is printable ASCII without spaces");
    }
  }
  return text;
}

std::vector<sdk::Model> ResolveModels(const sdk::Workspace& ws, const std::vector<std::string>& ids) {
  std::vector<sdk::Model> models;
  for (const auto& id : ids) {
    auto [name, version] = ValueOrThrow(store::ParseModelId(id));
    models.push_back(ValueOrThrow(sdk::Model::get(ws, name, version)));
  }
  return models;
}

store::StringMap ParsePairs(const std::vector<std::string>& pairs, const std::string& flag) {
  store::StringMap out;
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw CliError("invalid " + flag + " '" + pair + "': expected KEY=VALUE, e.g. " + flag +
                     " stage=prod");
    }
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return out;
}

void WriteModelMetadataFile(const std::string& path, const store::ModelRecord& model) {
  const nlohmann::json j = {{"modelId", model.id()},
                            {"name", model.name},
                            {"version", model.version},
                            {"sha256", model.sha256},
                            {"description", model.description},
                            {"tags", model.tags},
                            {"properties", model.properties},
                            {"createdTime", model.created_time}};
  // The model is registered whatever happens here: say so, so nobody
  // registers it twice.
  ThrowIfError(WriteFileAtomically(path, j.dump(2) + "\n", 0644)
                   .WithContext("--output-metadata-file: model " + model.id() +
                                " is registered, but its metadata file could not be written"));
}

std::string ReadModelMetadataFile(const std::string& path, const std::string& flag) {
  const std::string text = ReadJsonFile(path, flag);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("modelId") || !j["modelId"].is_string()) {
    throw CliError(flag + " file '" + path +
                   "' has no \"modelId\": \"NAME:VERSION\"; write it with `skiff model register "
                   "--output-metadata-file`");
  }
  return j["modelId"].get<std::string>();
}

void ReviveIfDown(sdk::Webservice& service) {
  auto revived = service.revive_if_down();
  if (!revived.ok()) {
    Warn("service '" + service.name() +
         "' is down and could not be started again: " + revived.status().message());
  } else if (*revived) {
    std::cerr << "skiff: service '" << service.name()
              << "' was down (its supervisor had exited); started it again" << std::endl;
  }
}

void WaitWithProgress(sdk::Webservice service) {
  // Live on a terminal (the elapsed time ticks), one line per change of
  // state or detail when piped.
  ProgressReporter progress("Waiting for '" + service.name() + "' to become Healthy");
  // While Transitioning the target's own progress text is the detail (aks:
  // "Deployment ns/svc: 1/3 updated, 0/3 available").
  auto status = ValueOrThrow(service.wait_for_deployment(
      std::chrono::seconds(600),
      [&progress](const ServiceStatus& status, std::chrono::milliseconds) {
        progress.Update(ServiceStateName(status.state),
                        status.state == ServiceState::kTransitioning ? status.error : "");
      }));
  progress.Done(ServiceStateName(status.state));
  if (status.state == ServiceState::kFailed) {
    // The target's error usually names the logs command already.
    const std::string hint = "see `skiff service get-logs -n " + service.name() + "`";
    throw CliError("deployment of '" + service.name() + "' failed: " + status.error +
                   (status.error.find(hint) == std::string::npos ? "; " + hint : ""));
  }
}

std::string JoinPairs(const store::StringMap& map) {
  std::string out;
  for (const auto& [k, v] : map) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

void PrintService(const GlobalOptions& options, sdk::Webservice service) {
  auto status = service.state();  // refreshes state and URI; the record keeps the last known
  auto dc = service.deployment_config();
  std::string compute_type = "unknown";
  if (auto target = sdk::ComputeTarget::get(
          ValueOrThrow(sdk::Workspace::Open(options.workspace)), service.record().compute_target);
      target.ok()) {
    compute_type = target->type();
  }
  nlohmann::json models = nlohmann::json::array();
  std::string model_list;
  for (const auto& m : service.record().models) {
    std::string id = m.name + ":" + std::to_string(m.version);
    models.push_back(id);
    model_list += (model_list.empty() ? "" : ",") + id;
  }
  const std::string state = status.ok() ? ServiceStateName(status->state) : service.record().state;
  nlohmann::json json = {{"name", service.name()},
                         {"state", state},
                         {"scoringUri", service.scoring_uri()},
                         {"swaggerUri", service.swagger_uri()},
                         {"computeType", compute_type},
                         {"computeTarget", service.record().compute_target},
                         {"models", models},
                         {"authEnabled", dc.auth_enabled && !dc.token_auth_enabled},
                         {"tokenAuthEnabled", dc.token_auth_enabled},
                         {"isEndpoint", service.is_endpoint()},
                         // As `az ml service show`: the deploymentconfig's metadata
                         // and the record's times.
                         {"tags", dc.tags},
                         {"properties", dc.properties},
                         {"description", dc.description},
                         {"createdTime", service.record().created_time},
                         {"updatedTime", service.record().updated_time}};
  if (status.ok()) json["restarts"] = status->restarts;
  if (status.ok()) AddFigures(FiguresOf(*status), &json);
  // Metrics are served apart from the scoring port (local target: loopback).
  if (status.ok() && !status->metrics_uri.empty()) json["metricsUri"] = status->metrics_uri;
  if (status.ok() && !status->grpc_uri.empty()) json["grpcUri"] = status->grpc_uri;
  if (status.ok() && !status->resources.empty()) json["resources"] = status->resources;
  if (status.ok() && !status->error.empty()) json["error"] = status->error;
  Print(options, json,
        {"NAME", "STATE", "COMPUTE", "MODELS", "SCORING URI", "TAGS", "CREATED", "UPDATED"},
        {{service.name(), state, service.record().compute_target, model_list,
          service.scoring_uri(), JoinPairs(dc.tags), service.record().created_time,
          service.record().updated_time}});
}

void PrintServiceList(const GlobalOptions& options, bool endpoints_only) {
  const sdk::Workspace ws = OpenWorkspace(options);
  std::vector<sdk::Webservice> services;
  // An endpoint's versions, from the store (the traffic it is configured for).
  std::vector<std::optional<std::vector<store::EndpointVersionRecord>>> versions;
  std::vector<bool> endpoint;
  for (auto& s : ValueOrThrow(sdk::Webservice::list(ws))) {
    std::optional<std::vector<store::EndpointVersionRecord>> of;
    const bool is_endpoint = s.is_endpoint();
    if (is_endpoint) {
      if (auto e = sdk::AksEndpoint::get(ws, s.name()); e.ok()) {
        if (auto v = e->versions(); v.ok()) of = std::move(v).value();
      }
    } else if (endpoints_only) {
      continue;
    }
    services.push_back(std::move(s));
    versions.push_back(std::move(of));
    endpoint.push_back(is_endpoint);
  }
  const auto looks = LookConcurrently(services, [](sdk::Webservice& s) {
    ReviveIfDown(s);
    return s.state();
  });

  nlohmann::json json = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // table output: why a row is not Healthy, or a rate unknown
  for (size_t i = 0; i < services.size(); ++i) {
    const sdk::Webservice& s = services[i];
    const StatusOr<ServiceStatus>& status = looks[i];
    const std::string state = status.ok() ? ServiceStateName(status->state) : "Unknown";
    const LiveFigures figures = status.ok() ? FiguresOf(*status) : LiveFigures{};
    nlohmann::json item = {{"name", s.name()},
                           {"state", state},
                           {"restarts", status.ok() ? status->restarts : 0}};
    AddFigures(figures, &item);
    std::string traffic = "-";
    if (versions[i]) {
      const auto share = EffectiveTraffic(*versions[i]);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& v : *versions[i]) {
        nlohmann::json version = {{"name", v.version_name},
                                  {"isDefault", v.is_default},
                                  {"trafficPercentile", share.at(v.version_name)}};
        AddFigures(VersionFiguresOf(status, v.version_name), &version);
        version.erase("replicas");
        list.push_back(version);
      }
      item["versions"] = list;
      traffic = TrafficCell(*versions[i]);
    }
    if (!endpoints_only) {
      item["computeTarget"] = s.record().compute_target;
      item["isEndpoint"] = static_cast<bool>(endpoint[i]);
    }
    item["scoringUri"] = s.scoring_uri();
    std::string error = !status.ok() ? status.status().message() : status->error;
    if (!error.empty()) {
      item["error"] = error;
      notes.push_back(s.name() + ": " + state + ": " + error);
    } else if (!figures.requests_per_second && !figures.note.empty()) {
      notes.push_back(s.name() + ": REQ/S and ERROR RATE unknown: " + figures.note);
    }
    json.push_back(item);
    std::vector<std::string> row = {s.name(),
                                    state,
                                    ReplicasCell(figures),
                                    status.ok() ? std::to_string(status->restarts) : "-",
                                    RateCell(figures),
                                    ErrorRateCell(figures),
                                    traffic};
    if (!endpoints_only) row.push_back(s.record().compute_target);
    row.push_back(s.scoring_uri());
    rows.push_back(std::move(row));
  }
  std::vector<std::string> headers = {"NAME",  "STATE",      "REPLICAS", "RESTARTS",
                                      "REQ/S", "ERROR RATE", "TRAFFIC"};
  if (!endpoints_only) headers.push_back("COMPUTE");
  headers.push_back("SCORING URI");
  Print(options, json, headers, rows);
  if (options.output == "table" && options.query.empty() && !notes.empty()) {
    std::cout << "\n";
    for (const auto& note : notes) std::cout << note << "\n";
  }
}

void PrintKeys(const GlobalOptions& options, const sdk::Webservice& service) {
  auto keys = ValueOrThrow(service.get_keys());
  Print(options, {{"primaryKey", keys.first}, {"secondaryKey", keys.second}},
        {"PRIMARY KEY", "SECONDARY KEY"}, {{keys.first, keys.second}});
}

void PrintToken(const GlobalOptions& options, const sdk::Webservice& service) {
  Credential token = ValueOrThrow(service.get_token());
  Print(options,
        {{"accessToken", token.value},
         {"tokenType", token.type},
         {"refreshBy", token.refresh_by},
         {"expiryOn", token.expires_on}},
        {"TOKEN TYPE", "EXPIRY ON", "REFRESH BY", "ACCESS TOKEN"},
        {{token.type, std::to_string(token.expires_on), std::to_string(token.refresh_by),
          token.value}});
}

}  // namespace skiff::cli
