// SPDX-License-Identifier: Apache-2.0
#include "skiff/sdk/webservice.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "deployment.h"
#include "dry_run.h"
#include "skiff/rollout/traffic_split_policy.h"
#include "skiff/signature_check.h"
#include "skiff/util/debug_log.h"
#include "skiff/util/sha256.h"

namespace skiff::sdk {
namespace {

using nlohmann::json;
using internal::VersionInput;

int64_t NewGeneration() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Releases the store's operation marker when the operation ends.
class OperationGuard {
 public:
  OperationGuard(store::WorkspaceStore& store, std::string service)
      : store_(store), service_(std::move(service)) {}
  ~OperationGuard() { (void)store_.EndOperation(service_); }

 private:
  store::WorkspaceStore& store_;
  std::string service_;
};

// The store's message already says to wait and retry; a lock left by a
// killed CLI is taken over there.
Status Begin(const Workspace& ws, const std::string& service, const std::string& op) {
  return ws.store().BeginOperation(service, op);
}

std::vector<std::string> KeyDigests(const std::pair<std::string, std::string>& keys) {
  return {Sha256Hex(keys.first), Sha256Hex(keys.second)};
}

// The keys a key-auth service gets from `dc`: given ones from the config,
// else generated; nullopt when nothing changes (not key auth, or
// `keep_existing` and the config names no key while a keys file exists).
StatusOr<std::optional<std::pair<std::string, std::string>>> NewKeys(
    const Workspace& ws, const std::string& service, const config::DeploymentConfig& dc,
    bool keep_existing) {
  using Keys = std::optional<std::pair<std::string, std::string>>;
  if (!dc.auth_enabled || dc.token_auth_enabled) return Keys();
  if (keep_existing && internal::ReadKeys(ws, service).ok() && !dc.keys.primary_key &&
      !dc.keys.secondary_key) {
    return Keys();
  }
  SKIFF_ASSIGN_OR_RETURN(auto auth, internal::ControlAuthenticator(ws, service));
  std::string primary, secondary;
  if (dc.keys.primary_key) {
    primary = *dc.keys.primary_key;
  } else {
    SKIFF_ASSIGN_OR_RETURN(primary, auth->GenerateKey());
  }
  if (dc.keys.secondary_key) {
    secondary = *dc.keys.secondary_key;
  } else {
    SKIFF_ASSIGN_OR_RETURN(secondary, auth->GenerateKey());
  }
  return Keys(std::make_pair(primary, secondary));
}

// Keys for a new deployment (nothing runs yet that could disagree).
Status EnsureKeys(const Workspace& ws, const std::string& service,
                  const config::DeploymentConfig& dc) {
  SKIFF_ASSIGN_OR_RETURN(auto keys, NewKeys(ws, service, dc, /*keep_existing=*/false));
  if (!keys) return OkStatus();
  return internal::WriteKeys(ws, service, keys->first, keys->second);
}

// The config stored for a service never holds key values (they live in the
// 0600 keys file).
std::string WithoutKeys(const config::DeploymentConfig& dc) {
  config::DeploymentConfig copy = dc;
  copy.keys = {};
  return config::ToJson(copy).dump();
}

}  // namespace

// ---- AksWebservice ---------------------------------------------------------

StatusOr<config::DeploymentConfig> AksWebservice::deploy_configuration(const Params& p) {
  json j = json::object();
  json scaler = json::object(), resources = json::object(), probe = json::object();
  if (p.autoscale_enabled) scaler["autoscaleEnabled"] = *p.autoscale_enabled;
  if (p.autoscale_min_replicas) scaler["minReplicas"] = *p.autoscale_min_replicas;
  if (p.autoscale_max_replicas) scaler["maxReplicas"] = *p.autoscale_max_replicas;
  if (p.autoscale_refresh_seconds) scaler["refreshPeriodInSeconds"] = *p.autoscale_refresh_seconds;
  if (p.autoscale_target_utilization) scaler["targetUtilization"] = *p.autoscale_target_utilization;
  if (p.cpu_cores) resources["cpu"] = *p.cpu_cores;
  if (p.memory_gb) resources["memoryInGB"] = *p.memory_gb;
  if (p.gpu_cores) resources["gpu"] = *p.gpu_cores;
  if (p.cpu_cores_limit) resources["cpuLimit"] = *p.cpu_cores_limit;
  if (p.memory_gb_limit) resources["memoryInGBLimit"] = *p.memory_gb_limit;
  if (p.period_seconds) probe["periodSeconds"] = *p.period_seconds;
  if (p.initial_delay_seconds) probe["initialDelaySeconds"] = *p.initial_delay_seconds;
  if (p.timeout_seconds) probe["timeoutSeconds"] = *p.timeout_seconds;
  if (p.success_threshold) probe["successThreshold"] = *p.success_threshold;
  if (p.failure_threshold) probe["failureThreshold"] = *p.failure_threshold;
  if (!scaler.empty()) j["autoScaler"] = scaler;
  if (!resources.empty()) j["containerResourceRequirements"] = resources;
  if (!probe.empty()) j["livenessProbeRequirements"] = probe;
  if (p.auth_enabled) j["authEnabled"] = *p.auth_enabled;
  if (p.token_auth_enabled) j["tokenAuthEnabled"] = *p.token_auth_enabled;
  if (p.enable_app_insights) j["appInsightsEnabled"] = *p.enable_app_insights;
  if (p.scoring_timeout_ms) j["scoringTimeoutMs"] = *p.scoring_timeout_ms;
  if (p.replica_max_concurrent_requests) {
    j["maxConcurrentRequestsPerContainer"] = *p.replica_max_concurrent_requests;
  }
  if (p.max_request_wait_time) j["maxQueueWaitMs"] = *p.max_request_wait_time;
  if (p.num_replicas) j["numReplicas"] = *p.num_replicas;
  if (p.primary_key || p.secondary_key) {
    j["keys"] = json::object();
    if (p.primary_key) j["keys"]["primaryKey"] = *p.primary_key;
    if (p.secondary_key) j["keys"]["secondaryKey"] = *p.secondary_key;
  }
  if (p.namespace_) j["namespace"] = *p.namespace_;
  if (p.collect_model_data) j["dataCollection"] = {{"storageEnabled", *p.collect_model_data}};
  if (!p.tags.empty()) j["tags"] = p.tags;
  if (!p.properties.empty()) j["properties"] = p.properties;
  if (!p.description.empty()) j["description"] = p.description;
  return config::ParseDeploymentConfig(j.dump());
}

// ---- Webservice --------------------------------------------------------------

namespace {

// What a service or endpoint serves: `record`'s model and inference config,
// or for an endpoint `candidate_versions` if given, else the stored versions.
StatusOr<std::vector<VersionInput>> CurrentVersions(
    const Workspace& ws, const store::ServiceRecord& record,
    const std::vector<store::EndpointVersionRecord>* candidate_versions = nullptr) {
  std::vector<VersionInput> out;
  auto endpoint = ws.store().GetEndpoint(record.name);
  if (endpoint.ok()) {
    std::vector<store::EndpointVersionRecord> versions;
    if (candidate_versions != nullptr) {
      versions = *candidate_versions;
    } else {
      SKIFF_ASSIGN_OR_RETURN(versions, ws.store().ListEndpointVersions(record.name));
    }
    for (const auto& v : versions) {
      if (v.models.empty()) return DataLoss("endpoint version '" + v.version_name + "' has no model");
      out.push_back({VersionSpec{v.version_name, v.traffic_percentile, v.is_default,
                                 v.is_control ? VersionType::kControl : VersionType::kTreatment},
                     v.models.front(), v.inference_config_json, v.deployment_config_json,
                     v.shadow_percentile});
    }
    return out;
  }
  if (record.models.empty()) return DataLoss("service '" + record.name + "' has no model");
  if (record.models.size() == 1) {
    out.push_back({VersionSpec{record.name, 100, true, VersionType::kTreatment},
                   record.models.front(), record.inference_config_json,
                   /*deployment_config_json=*/""});
    return out;
  }
  // Several models: each is a version named after its model, so each has
  // its own route (/v2/models/{model}/infer); the first (-m order) is the
  // default and takes all drawn traffic (/score, /v2/models/{service}).
  for (size_t i = 0; i < record.models.size(); ++i) {
    out.push_back({VersionSpec{record.models[i].name, i == 0 ? 100 : 0, i == 0,
                               VersionType::kTreatment},
                   record.models[i], record.inference_config_json,
                   /*deployment_config_json=*/""});
  }
  return out;
}

// A service of several models serves each under its own name, so two
// versions of one model, or a later model named like the service, would
// share a route: refused rather than one silently shadowing the other.
Status CheckServedModels(const std::string& service, const std::vector<Model>& models) {
  if (models.size() < 2) return OkStatus();
  for (size_t i = 0; i < models.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (models[j].name() == models[i].name()) {
        return InvalidArgument(
            "-m " + models[j].name() + ":" + std::to_string(models[j].version()) + " and -m " +
            models[i].name() + ":" + std::to_string(models[i].version()) +
            ": a service serves each model at /v2/models/{model}, so one version per model; "
            "deploy an endpoint (`skiff endpoint create`) to serve versions of one model");
      }
    }
    if (i > 0 && models[i].name() == service) {
      return InvalidArgument("-m " + models[i].name() +
                             ": a model named like the service must come first (/v2/models/" +
                             service + " is the first model's route)");
    }
  }
  return OkStatus();
}

// An endpoint version is one model: more would be listed and not served.
Status CheckOneModelPerVersion(const EndpointVersion& version) {
  if (version.models.size() <= 1) return OkStatus();
  return InvalidArgument("version '" + version.name + "' names " +
                         std::to_string(version.models.size()) +
                         " models; an endpoint version serves one (-m once): create a version "
                         "per model, or deploy a service with several -m");
}

// What a roll sends besides the record it is given: a key rotation sends the
// credentials it has not committed yet, an endpoint change its new versions,
// so they are recorded only once the running server accepted them.
struct RollOptions {
  // The endpoint's versions to send instead of the stored ones.
  const std::vector<store::EndpointVersionRecord>* endpoint_versions = nullptr;
  // Key digests to send instead of those of the keys file.
  std::optional<std::vector<std::string>> key_digests;
  // The signing-key set to send instead of the current one.
  std::string signing_keys_dir;
  // Set to true once the target took the new configuration: from then on the
  // server may run it even if waiting for it fails, so a caller that abandons
  // the change must roll the server back.
  bool* delivered = nullptr;
};

// How long a revived service may take to load its models again.
constexpr std::chrono::minutes kReviveWait{10};

// The pause between two looks at a target that is still changing: short at
// first (a local server applies in well under a second), doubling to 1 s so
// a long AKS rollout costs a few API calls a second, not ten.
class PollBackoff {
 public:
  void Sleep() {
    std::this_thread::sleep_for(next_);
    next_ = std::min<std::chrono::milliseconds>(next_ * 2, std::chrono::milliseconds(1000));
  }

 private:
  std::chrono::milliseconds next_{100};
};

// GetState through `plugin`, with the record's state and scoring URI brought
// up to date in `record` and the store.
StatusOr<ServiceStatus> LookAndRecord(const Workspace& ws, store::ServiceRecord& record,
                                      skiff::ComputeTarget& plugin, bool detailed = false) {
  SKIFF_ASSIGN_OR_RETURN(ServiceStatus status, detailed ? plugin.GetDetailedState(record.name)
                                                        : plugin.GetState(record.name));
  store::ServiceRecord updated = record;
  updated.state = ServiceStateName(status.state);
  if (!status.scoring_uri.empty()) updated.scoring_uri = status.scoring_uri;
  if (updated.state != record.state || updated.scoring_uri != record.scoring_uri) {
    (void)ws.store().UpdateService(updated);
  }
  record = updated;
  return status;
}

// Starts the service's runtime again if it died without being stopped (the
// caller holds the operation lock) and waits until it is Healthy or Failed,
// so that what follows (a reload, a score) reaches a running server.
StatusOr<bool> ReviveAndWait(skiff::ComputeTarget& plugin, const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(bool revived, plugin.ReviveService(service));
  if (!revived) return false;
  const auto deadline = std::chrono::steady_clock::now() + kReviveWait;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(ServiceStatus status, plugin.GetState(service));
    if (status.state == ServiceState::kHealthy || status.state == ServiceState::kFailed) {
      return true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return DeadlineExceeded("service '" + service + "' was started again but is still " +
                              ServiceStateName(status.state) + " after 10 minutes; see `skiff " +
                              "service get-logs -n " + service + "`");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Roll's body: see Roll.
Status RollOnce(const Workspace& ws, store::ServiceRecord& record, bool first_deploy,
                const RollOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(auto versions, CurrentVersions(ws, record, options.endpoint_versions));
  const int64_t generation = NewGeneration();
  std::string keys_dir = options.signing_keys_dir;
  if (keys_dir.empty()) {
    SKIFF_ASSIGN_OR_RETURN(keys_dir, internal::EnsureSigningKeys(ws, record.name));
  }
  // Sticky routing: the endpoint's salt exists before the spec that sends it.
  if (auto dc = config::ParseDeploymentConfig(record.deployment_config_json);
      dc.ok() && dc->routing_key.set()) {
    SKIFF_RETURN_IF_ERROR(internal::EnsureRoutingSalt(ws, record.name).status());
  }
  SKIFF_ASSIGN_OR_RETURN(
      ServiceSpec spec,
      internal::BuildServiceSpec(ws, record.name, record.deployment_config_json, versions,
                                 generation, options.key_digests, keys_dir));
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws, record.compute_target));
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  // An update reloads a running server; one whose runtime was killed is
  // started again first (from the configuration it last ran).
  if (!first_deploy) SKIFF_RETURN_IF_ERROR(ReviveAndWait(*plugin, record.name).status());
  // A target that refuses the spec (a port it cannot move to, a cluster
  // still creating) changed nothing: the caller's record stands as it was.
  SKIFF_RETURN_IF_ERROR(first_deploy ? plugin->DeployService(spec) : plugin->UpdateService(spec));
  if (options.delivered != nullptr) *options.delivered = true;
  if (first_deploy) return OkStatus();  // wait_for_deployment follows
  // Wait for the running server to apply or refuse this generation, as the
  // target reports it (local: the server's status file; aks: the rollouts
  // of the Deployments carrying it). Nothing here talks to the service's
  // address: an internal load balancer need not be reachable from here.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  PollBackoff backoff;
  while (std::chrono::steady_clock::now() < deadline) {
    auto state = plugin->GetState(record.name);
    if (state.ok() && state->refused_generation == generation) {
      return InvalidArgument("service '" + record.name + "' refused the change: " + state->refusal +
                             "; it still serves its previous configuration");
    }
    if (state.ok() && state->state == ServiceState::kFailed) {
      return FailedPrecondition("the update failed: " + state->error +
                                "; see `skiff service get-logs -n " + record.name + "`");
    }
    // A target that cannot tell generations (applied_generation -1) is
    // taken at its word once it says Healthy.
    if (state.ok() && (state->applied_generation == generation ||
                       (state->applied_generation < 0 && state->state == ServiceState::kHealthy))) {
      record.state = ServiceStateName(state->state);
      if (!state->scoring_uri.empty()) record.scoring_uri = state->scoring_uri;
      return OkStatus();
    }
    backoff.Sleep();
  }
  return DeadlineExceeded("the service did not apply the update within 10 minutes; see "
                          "`skiff service get-logs -n " + record.name + "`");
}

// Sends `record` (with `options`) to the target and waits until the server
// runs it, refuses it or fails. Writes nothing to the store: on success it
// sets `record`'s state and scoring URI for the caller to record. A routing
// salt this change made is removed again when it fails, so a refused change
// leaves no trace.
Status Roll(const Workspace& ws, store::ServiceRecord& record, bool first_deploy,
            const RollOptions& options = {}) {
  // Only a salt that did not exist before is removed (an unreadable one is
  // left for the user to see).
  const bool had_salt =
      internal::ReadRoutingSalt(ws, record.name).status().code() != StatusCode::kNotFound;
  Status rolled = RollOnce(ws, record, first_deploy, options);
  if (!rolled.ok() && !had_salt) internal::RemoveRoutingSalt(ws, record.name);
  return rolled;
}

// Rolls the target to `candidate`. If that fails after the target took it,
// the target is rolled back to `stored` (what the store says it serves), so
// the server, and one its supervisor restarts from its config file, runs
// the stored configuration again. Returns the failure, saying whether the
// service was restored.
Status RollOrRestore(const Workspace& ws, store::ServiceRecord& candidate,
                     store::ServiceRecord& stored, RollOptions options,
                     const std::function<Status()>& commit) {
  bool delivered = false;
  options.delivered = &delivered;
  Status changed = Roll(ws, candidate, false, options);
  if (changed.ok()) changed = commit();
  if (changed.ok()) return OkStatus();
  const std::string unchanged = "; nothing was changed";
  if (!delivered) return Status(changed.code(), changed.message() + unchanged);
  Status restored = Roll(ws, stored, false);
  if (restored.ok()) {
    (void)ws.store().UpdateService(stored);  // its state, as the restore found it
    return Status(changed.code(), changed.message() + unchanged);
  }
  return Status(changed.code(), changed.message() +
                                    "; restoring the previous configuration on the running "
                                    "service failed too (" +
                                    restored.message() +
                                    "); the record keeps the previous configuration, which the "
                                    "next update of '" +
                                    stored.name + "' sends again");
}

// Removes what a first deploy recorded before the target took it, so that
// the retry is a plain deploy again instead of "already exists".
void ForgetDeploy(const Workspace& ws, const std::string& name, bool endpoint) {
  if (endpoint) (void)ws.store().DeleteEndpoint(name);
  (void)ws.store().DeleteService(name);
  (void)internal::RemoveSigningKeys(ws, name);
  (void)internal::RemoveKeys(ws, name);
}

// The first roll of a new service or endpoint (its records are stored):
// one the target refuses (a cluster still creating, no credentials) or that
// cannot start leaves no record behind.
Status FirstRoll(const Workspace& ws, store::ServiceRecord& record, bool endpoint) {
  Status begun = Begin(ws, record.name, "deploy");
  if (!begun.ok()) {
    ForgetDeploy(ws, record.name, endpoint);
    return begun;
  }
  Status sent;
  {
    OperationGuard guard(ws.store(), record.name);
    sent = Roll(ws, record, /*first_deploy=*/true);
  }
  if (!sent.ok()) ForgetDeploy(ws, record.name, endpoint);
  return sent;
}

}  // namespace

StatusOr<Webservice> Webservice::deploy(const Workspace& ws, const std::string& name,
                                        const std::vector<Model>& models,
                                        const std::string& inference_config_json,
                                        const std::string& deployment_config_json,
                                        const ComputeTarget& target, bool overwrite) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(name));
  if (models.empty()) return InvalidArgument("deploy needs at least one model (-m NAME:VERSION)");
  SKIFF_RETURN_IF_ERROR(CheckServedModels(name, models));
  SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                         config::ParseDeploymentConfig(
                             deployment_config_json.empty() ? "{}" : deployment_config_json));
  SKIFF_RETURN_IF_ERROR(config::ParseInferenceConfig(inference_config_json).status());
  if (auto existing = get(ws, name); existing.ok()) {
    if (!overwrite) {
      return AlreadyExists("service '" + name +
                           "' already exists; pass --overwrite to replace it, or use `skiff "
                           "service update -n " + name + "`");
    }
    SKIFF_RETURN_IF_ERROR(existing->delete_service());
  }
  // A new deployment verifies tokens with a new signing key only: a leftover
  // set (of a delete that did not finish) must not carry over.
  SKIFF_RETURN_IF_ERROR(internal::RemoveSigningKeys(ws, name));
  SKIFF_RETURN_IF_ERROR(EnsureKeys(ws, name, dc));
  store::ServiceRecord record;
  record.name = name;
  record.compute_target = target.name();
  record.state = "Transitioning";
  record.deployment_config_json = WithoutKeys(dc);
  record.inference_config_json = config::ToJson(*config::ParseInferenceConfig(inference_config_json)).dump();
  for (const auto& m : models) record.models.push_back({m.name(), m.version()});
  SKIFF_RETURN_IF_ERROR(ws.store().CreateService(record));
  SKIFF_RETURN_IF_ERROR(FirstRoll(ws, record, /*endpoint=*/false));
  return Webservice(ws, record);
}

StatusOr<Webservice> Model::deploy(const Workspace& ws, const std::string& name,
                                   const std::vector<Model>& models,
                                   const std::string& inference_config_json,
                                   const std::string& deployment_config_json,
                                   const ComputeTarget& target, bool overwrite) {
  return Webservice::deploy(ws, name, models, inference_config_json, deployment_config_json,
                            target, overwrite);
}

// The typed configs go through the string path, so both are checked by the
// one parser each and the record holds what a file would.
StatusOr<Webservice> Webservice::deploy(const Workspace& ws, const std::string& name,
                                        const std::vector<Model>& models,
                                        const config::InferenceConfig& inference_config,
                                        const config::DeploymentConfig& deployment_config,
                                        const ComputeTarget& target, bool overwrite) {
  return deploy(ws, name, models, config::ToJson(inference_config).dump(),
                config::ToJson(deployment_config).dump(), target, overwrite);
}

StatusOr<Webservice> Model::deploy(const Workspace& ws, const std::string& name,
                                   const std::vector<Model>& models,
                                   const config::InferenceConfig& inference_config,
                                   const config::DeploymentConfig& deployment_config,
                                   const ComputeTarget& target, bool overwrite) {
  return Webservice::deploy(ws, name, models, inference_config, deployment_config, target,
                            overwrite);
}

StatusOr<Webservice> Webservice::get(const Workspace& ws, const std::string& name) {
  auto record = ws.store().GetService(name);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return NotFound("service '" + name + "' does not exist; see `skiff service list`");
    }
    return record.status();
  }
  return Webservice(ws, std::move(record).value());
}

StatusOr<std::vector<Webservice>> Webservice::list(const Workspace& ws) {
  SKIFF_ASSIGN_OR_RETURN(auto records, ws.store().ListServices());
  std::vector<Webservice> out;
  for (auto& r : records) out.push_back(Webservice(ws, std::move(r)));
  return out;
}

bool Webservice::is_endpoint() const { return ws_.store().GetEndpoint(record_.name).ok(); }

config::DeploymentConfig Webservice::deployment_config() const {
  auto dc = config::ParseDeploymentConfig(record_.deployment_config_json);
  return dc.ok() ? *dc : config::DeploymentConfig{};
}

std::string Webservice::scoring_uri() const { return record_.scoring_uri; }

std::string Webservice::swagger_uri() const {
  const std::string& uri = record_.scoring_uri;
  const std::string suffix = "/score";
  if (uri.size() > suffix.size() && uri.compare(uri.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return uri.substr(0, uri.size() - suffix.size()) + "/swagger.json";
  }
  return "";
}

StatusOr<ServiceStatus> Webservice::state() {
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  // A one-off look (list, show), not a wait's poll: the detailed state.
  return LookAndRecord(ws_, record_, *plugin, /*detailed=*/true);
}

StatusOr<bool> Webservice::revive_if_down() {
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  // A cheap look first: only a Failed service can have lost its runtime, so
  // a healthy one is not locked.
  auto now = plugin->GetState(record_.name);
  if (!now.ok() || now->state != ServiceState::kFailed) return false;
  // Another operation under way (a deploy, a delete) owns the service now.
  if (!ws_.store().BeginOperation(record_.name, "revive").ok()) return false;
  bool revived = false;
  {
    OperationGuard guard(ws_.store(), record_.name);
    SKIFF_ASSIGN_OR_RETURN(revived, ReviveAndWait(*plugin, record_.name));
  }
  if (revived) SKIFF_RETURN_IF_ERROR(state().status());  // the record's state and URI
  return revived;
}

Status Webservice::restart() {
  SKIFF_RETURN_IF_ERROR(Begin(ws_, record_.name, "restart"));
  OperationGuard guard(ws_.store(), record_.name);
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  return plugin->RestartService(record_.name);
}

StatusOr<ServiceStatus> Webservice::wait_for_deployment(
    std::chrono::seconds timeout,
    const std::function<void(ServiceState, std::chrono::milliseconds)>& progress) {
  std::optional<ServiceState> last;
  return wait_for_deployment(
      timeout, [&](const ServiceStatus& status, std::chrono::milliseconds elapsed) {
        if (!last || *last != status.state) {
          if (progress) progress(status.state, elapsed);
          last = status.state;
        }
      });
}

StatusOr<ServiceStatus> Webservice::wait_for_deployment(
    std::chrono::seconds timeout,
    const std::function<void(const ServiceStatus&, std::chrono::milliseconds)>& on_poll) {
  const auto start = std::chrono::steady_clock::now();
  // One plugin object (one cluster client) for the whole wait.
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  PollBackoff backoff;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(ServiceStatus status, LookAndRecord(ws_, record_, *plugin));
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    DebugLog("service '" + record_.name + "': " + ServiceStateName(status.state) +
             ", applied generation " + std::to_string(status.applied_generation) + " after " +
             std::to_string(elapsed.count()) + " ms");
    if (on_poll) on_poll(status, elapsed);
    if (status.state == ServiceState::kHealthy || status.state == ServiceState::kFailed) {
      return status;
    }
    if (elapsed > timeout) {
      return DeadlineExceeded("service '" + record_.name + "' is still " +
                              ServiceStateName(status.state) + " after " +
                              std::to_string(timeout.count()) + " s; see `skiff service get-logs -n " +
                              record_.name + "`");
    }
    backoff.Sleep();
  }
}

StatusOr<std::string> Webservice::get_logs(int num_lines) const {
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  return plugin->GetLogs(record_.name, num_lines);
}

Status Webservice::follow_logs(int num_lines, LogSink* sink) const {
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  return plugin->FollowLogs(record_.name, num_lines, sink);
}

StatusOr<std::pair<std::string, std::string>> Webservice::get_keys() const {
  config::DeploymentConfig dc = deployment_config();
  if (!dc.auth_enabled || dc.token_auth_enabled) {
    return FailedPrecondition("service '" + record_.name +
                              "' does not use key auth (authEnabled is false); nothing to show");
  }
  return internal::ReadKeys(ws_, record_.name);
}

Status Webservice::regen_key(const std::string& key, const std::string& set_key) const {
  std::string which;
  for (char c : key) which += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (which != "primary" && which != "secondary") {
    return InvalidArgument("--key must be Primary or Secondary, got '" + key + "'");
  }
  if (!set_key.empty()) SKIFF_RETURN_IF_ERROR(internal::ValidateGivenKey(set_key, "--set-key"));
  SKIFF_RETURN_IF_ERROR(get_keys().status());
  SKIFF_RETURN_IF_ERROR(Begin(ws_, record_.name, "regen-key"));
  OperationGuard guard(ws_.store(), record_.name);
  // Read under the operation marker: what the running server accepts now.
  SKIFF_ASSIGN_OR_RETURN(const auto before, internal::ReadKeys(ws_, record_.name));
  SKIFF_ASSIGN_OR_RETURN(store::ServiceRecord record, ws_.store().GetService(record_.name));
  std::string fresh = set_key;
  if (fresh.empty()) {
    SKIFF_ASSIGN_OR_RETURN(auto auth, internal::ControlAuthenticator(ws_, record_.name));
    SKIFF_ASSIGN_OR_RETURN(fresh, auth->GenerateKey());
  }
  auto after = before;
  (which == "primary" ? after.first : after.second) = fresh;

  // Two phases, so that either both the keys file and the server change or
  // neither does: stage the new keys file (a full disk fails here, with
  // nothing changed), roll the server to the new digests and wait until it
  // runs them, and only then put the file in place (a rename: no new space).
  SKIFF_ASSIGN_OR_RETURN(StagedFile staged,
                         internal::StageKeys(ws_, record_.name, after.first, after.second));
  bool delivered = false;
  RollOptions roll;
  roll.key_digests = KeyDigests(after);
  roll.delivered = &delivered;
  Status changed = Roll(ws_, record, false, roll);
  if (changed.ok()) changed = staged.Commit();
  if (changed.ok()) {
    (void)ws_.store().UpdateService(record);  // its state; state() refreshes it anyway
    return OkStatus();
  }
  // Abandoned: the staged file goes with `staged`; a server that may have
  // taken the new digests gets the previous ones back.
  const std::string unchanged = "; the keys are unchanged (`skiff service get-keys -n " +
                                record_.name + "` shows the ones the service accepts)";
  if (!delivered) return Status(changed.code(), changed.message() + unchanged);
  RollOptions back;
  back.key_digests = KeyDigests(before);
  Status restored = Roll(ws_, record, false, back);
  if (restored.ok()) return Status(changed.code(), changed.message() + unchanged);
  return Status(changed.code(), changed.message() +
                                    "; restoring the previous keys on the running service failed "
                                    "too (" +
                                    restored.message() +
                                    "): the keys file still holds the previous keys; "
                                    "run the same regen-key again once the service is healthy");
}

StatusOr<Credential> Webservice::get_token() const {
  config::DeploymentConfig dc = deployment_config();
  if (!dc.token_auth_enabled) {
    return FailedPrecondition("service '" + record_.name +
                              "' does not use token auth; deploy it with tokenAuthEnabled: true "
                              "(and authEnabled: false), or use `get-keys`");
  }
  // Only the set the running server verifies with: never one made up here.
  const std::string keys_dir = internal::CurrentSigningKeys(ws_, record_.name);
  if (keys_dir.empty()) {
    return FailedPrecondition("service '" + record_.name +
                              "' has no signing keys of its own (deployed by an older skiff); "
                              "run `skiff service regen-signing-key -n " +
                              record_.name + "`");
  }
  SKIFF_ASSIGN_OR_RETURN(auto auth, internal::ControlAuthenticator(keys_dir, ws_));
  SKIFF_RETURN_IF_ERROR(auth->Configure({record_.name, AuthMode::kToken, {}}));
  return auth->Issue({record_.name, 0});
}

Status Webservice::regen_signing_key(std::chrono::seconds grace_period) const {
  config::DeploymentConfig dc = deployment_config();
  if (!dc.token_auth_enabled) {
    return FailedPrecondition("service '" + record_.name +
                              "' does not use token auth; for key auth use `regen-key`");
  }
  // Longer than any token lives (24 h at most) would keep a key for nothing.
  if (grace_period.count() < 0 || grace_period.count() > 86400) {
    return InvalidArgument("--grace-period must be 0 to 86400 seconds, got " +
                           std::to_string(grace_period.count()));
  }
  SKIFF_RETURN_IF_ERROR(Begin(ws_, record_.name, "regen-signing-key"));
  OperationGuard guard(ws_.store(), record_.name);
  SKIFF_ASSIGN_OR_RETURN(store::ServiceRecord record, ws_.store().GetService(record_.name));
  // As regen_key: the new set becomes current only once the running server
  // verifies with it; until then tokens are issued with the current one.
  SKIFF_ASSIGN_OR_RETURN(
      auto rotation, internal::SigningKeyRotation::Stage(ws_, record_.name, grace_period.count()));
  bool delivered = false;
  RollOptions roll;
  roll.signing_keys_dir = rotation.dir();
  roll.delivered = &delivered;
  Status changed = Roll(ws_, record, false, roll);
  if (changed.ok()) changed = rotation.Commit();
  if (changed.ok()) {
    (void)ws_.store().UpdateService(record);  // its state; state() refreshes it anyway
    return OkStatus();
  }
  const std::string unchanged = "; the signing keys are unchanged";
  if (!delivered) return Status(changed.code(), changed.message() + unchanged);
  Status restored = Roll(ws_, record, false);  // the current set
  if (restored.ok()) return Status(changed.code(), changed.message() + unchanged);
  return Status(changed.code(), changed.message() +
                                    "; restoring the previous signing keys on the running service "
                                    "failed too (" +
                                    restored.message() +
                                    "); run the same regen-signing-key again once it is healthy");
}

Status Webservice::update(const std::vector<Model>& models, const std::string& inference_config_json,
                          const std::string& deployment_config_json) {
  SKIFF_RETURN_IF_ERROR(CheckServedModels(record_.name, models));
  SKIFF_RETURN_IF_ERROR(Begin(ws_, record_.name, "update"));
  OperationGuard guard(ws_.store(), record_.name);
  // What the target serves now; the change is a candidate next to it, and is
  // recorded only once the running server runs it.
  SKIFF_ASSIGN_OR_RETURN(store::ServiceRecord stored, ws_.store().GetService(record_.name));
  record_ = stored;
  store::ServiceRecord candidate = stored;
  // New keys (the config names some, or key auth is switched on) are staged
  // and put in place only once the server runs them, as in regen_key().
  std::optional<StagedFile> staged_keys;
  RollOptions roll;
  if (!deployment_config_json.empty()) {
    SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                           config::ApplyDeploymentUpdate(deployment_config(), deployment_config_json));
    SKIFF_ASSIGN_OR_RETURN(auto keys, NewKeys(ws_, candidate.name, dc, /*keep_existing=*/true));
    if (keys) {
      SKIFF_ASSIGN_OR_RETURN(StagedFile staged,
                             internal::StageKeys(ws_, candidate.name, keys->first, keys->second));
      staged_keys.emplace(std::move(staged));
      roll.key_digests = KeyDigests(*keys);
    }
    candidate.deployment_config_json = WithoutKeys(dc);
  }
  if (!inference_config_json.empty()) {
    SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                           config::ParseInferenceConfig(inference_config_json));
    candidate.inference_config_json = config::ToJson(ic).dump();
  }
  if (!models.empty()) {
    candidate.models.clear();
    for (const auto& m : models) candidate.models.push_back({m.name(), m.version()});
  }
  SKIFF_RETURN_IF_ERROR(RollOrRestore(ws_, candidate, stored, roll, [&]() -> Status {
    SKIFF_RETURN_IF_ERROR(ws_.store().UpdateService(candidate));
    if (!staged_keys) return OkStatus();
    Status committed = staged_keys->Commit();
    // The keys file is what the record's auth settings need: both or neither.
    if (!committed.ok()) (void)ws_.store().UpdateService(stored);
    return committed;
  }));
  record_ = candidate;
  return OkStatus();
}

StatusOr<std::string> Webservice::render_update_dry_run(
    const std::vector<Model>& models, const std::string& inference_config_json,
    const std::string& deployment_config_json) const {
  store::ServiceRecord record = record_;
  config::DeploymentConfig dc = deployment_config();
  if (!deployment_config_json.empty()) {
    SKIFF_ASSIGN_OR_RETURN(dc, config::ApplyDeploymentUpdate(dc, deployment_config_json));
    record.deployment_config_json = config::ToJson(dc).dump();
  }
  if (!inference_config_json.empty()) {
    SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                           config::ParseInferenceConfig(inference_config_json));
    record.inference_config_json = config::ToJson(ic).dump();
  }
  if (!models.empty()) {
    record.models.clear();
    for (const auto& m : models) record.models.push_back({m.name(), m.version()});
  }
  SKIFF_ASSIGN_OR_RETURN(auto versions, CurrentVersions(ws_, record));
  SKIFF_ASSIGN_OR_RETURN(ServiceSpec spec,
                         internal::BuildServiceSpec(
                             ws_, record.name, record.deployment_config_json, versions,
                             NewGeneration(), internal::DryRunKeyDigests(ws_, record.name, dc)));
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record.compute_target));
  return internal::RenderDryRun(target, spec, /*update=*/true);
}

Status Webservice::delete_service() const {
  SKIFF_RETURN_IF_ERROR(Begin(ws_, record_.name, "delete"));
  {
    OperationGuard guard(ws_.store(), record_.name);
    SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
    SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
    Status stopped = plugin->DeleteService(record_.name);
    if (!stopped.ok() && stopped.code() != StatusCode::kNotFound) return stopped;
  }
  if (is_endpoint()) SKIFF_RETURN_IF_ERROR(ws_.store().DeleteEndpoint(record_.name));
  SKIFF_RETURN_IF_ERROR(ws_.store().DeleteService(record_.name));
  SKIFF_RETURN_IF_ERROR(internal::RemoveSigningKeys(ws_, record_.name));
  return internal::RemoveKeys(ws_, record_.name);
}

StatusOr<std::string> Webservice::run(const std::string& input_json) const {
  if (record_.scoring_uri.empty()) {
    return FailedPrecondition("service '" + record_.name + "' has no scoring URI yet (state " +
                              record_.state + ")");
  }
  std::map<std::string, std::string> headers;
  config::DeploymentConfig dc = deployment_config();
  if (dc.token_auth_enabled) {
    SKIFF_ASSIGN_OR_RETURN(Credential token, get_token());
    headers["Authorization"] = "Bearer " + token.value;
  } else if (dc.auth_enabled) {
    SKIFF_ASSIGN_OR_RETURN(auto keys, get_keys());
    headers["Authorization"] = "Bearer " + keys.first;
  }
  headers["Content-Type"] = "application/json";
  // The URI and sizes only: the Authorization header holds a secret.
  DebugLog("POST " + record_.scoring_uri + " (" + std::to_string(input_json.size()) +
           " bytes, auth " + (headers.count("Authorization") != 0 ? "on" : "off") + ")");
  SKIFF_ASSIGN_OR_RETURN(
      net::HttpResponse reply,
      internal::SdkHttpClient(std::chrono::milliseconds(dc.scoring_timeout_ms + 5000))
          .Send({"POST", record_.scoring_uri, {headers.begin(), headers.end()}, input_json}));
  DebugLog("HTTP " + std::to_string(reply.status) + " from " + record_.scoring_uri + " (" +
           std::to_string(reply.body.size()) + " bytes)");
  if (reply.status != 200) {
    return Status(reply.status == 400 ? StatusCode::kInvalidArgument : StatusCode::kUnavailable,
                  "scoring returned HTTP " + std::to_string(reply.status) + ": " + reply.body);
  }
  return reply.body;
}

// ---- AksEndpoint -------------------------------------------------------------

namespace {

Status ValidateVersions(const std::vector<store::EndpointVersionRecord>& versions) {
  std::vector<VersionSpec> specs;
  for (const auto& v : versions) {
    specs.push_back({v.version_name, v.traffic_percentile, v.is_default,
                     v.is_control ? VersionType::kControl : VersionType::kTreatment});
  }
  return TrafficSplitPolicy().Validate(specs);
}

// Makes the stored versions of `endpoint` go from `from` to `to`.
Status StoreVersions(const Workspace& ws, const std::string& endpoint,
                     const std::vector<store::EndpointVersionRecord>& from,
                     const std::vector<store::EndpointVersionRecord>& to) {
  for (const auto& old : from) {
    bool kept = false;
    for (const auto& v : to) kept = kept || v.version_name == old.version_name;
    if (!kept) SKIFF_RETURN_IF_ERROR(ws.store().DeleteEndpointVersion(endpoint, old.version_name));
  }
  for (const auto& v : to) SKIFF_RETURN_IF_ERROR(ws.store().PutEndpointVersion(v));
  return OkStatus();
}

// Applies `change` to the endpoint's version list, validates it, rolls the
// running endpoint to it and records it once the server runs it.
Status ChangeVersions(const Workspace& ws, const std::string& endpoint, const std::string& op,
                      const std::function<Status(std::vector<store::EndpointVersionRecord>&)>& change) {
  SKIFF_RETURN_IF_ERROR(Begin(ws, endpoint, op));
  OperationGuard guard(ws.store(), endpoint);
  SKIFF_ASSIGN_OR_RETURN(auto versions, ws.store().ListEndpointVersions(endpoint));
  const auto before = versions;
  SKIFF_RETURN_IF_ERROR(change(versions));
  SKIFF_RETURN_IF_ERROR(ValidateVersions(versions).WithContext("endpoint '" + endpoint + "'"));
  SKIFF_ASSIGN_OR_RETURN(store::ServiceRecord stored, ws.store().GetService(endpoint));
  store::ServiceRecord candidate = stored;
  candidate.models.clear();
  for (const auto& v : versions) {
    for (const auto& m : v.models) candidate.models.push_back(m);
  }
  RollOptions roll;
  roll.endpoint_versions = &versions;
  return RollOrRestore(ws, candidate, stored, roll, [&]() -> Status {
    Status recorded = StoreVersions(ws, endpoint, before, versions);
    if (recorded.ok()) recorded = ws.store().UpdateService(candidate);
    // Best effort back to the versions the restore sends next.
    if (!recorded.ok()) (void)StoreVersions(ws, endpoint, versions, before);
    return recorded;
  });
}

store::EndpointVersionRecord ToRecord(const std::string& endpoint, const EndpointVersion& v) {
  store::EndpointVersionRecord r;
  r.endpoint = endpoint;
  r.version_name = v.name;
  r.traffic_percentile = v.traffic_percentile.value_or(0);
  r.is_default = v.is_default.value_or(false);
  r.is_control = v.is_control_version_type.value_or(false);
  r.shadow_percentile = v.shadow_percentile.value_or(0);
  for (const auto& m : v.models) r.models.push_back({m.name(), m.version()});
  r.inference_config_json = v.inference_config_json;
  r.deployment_config_json = v.deployment_config_json.empty() ? "{}" : v.deployment_config_json;
  r.state = "Transitioning";
  return r;
}

bool HasOwnDeployment(const store::EndpointVersionRecord& v) {
  return !v.deployment_config_json.empty() && v.deployment_config_json != "{}";
}

// The version's own deployment config after `change` (its --dc, --tag,
// --description) applied to `base` (the version's current config, or for
// a new version the endpoint's without its tags and description: those
// describe the endpoint). Returns the record's JSON (never keys), or "" when
// `change` changes nothing and the version has no config of its own.
StatusOr<std::string> OwnDeployment(const config::DeploymentConfig& endpoint,
                                    config::DeploymentConfig base, bool had_own,
                                    const EndpointVersion& change) {
  if (change.deployment_config_json.empty() && change.tags.empty() && !change.description) {
    return had_own ? config::ToJson(base).dump() : std::string();
  }
  if (!had_own) {
    base.tags.clear();
    base.properties.clear();
    base.description.clear();
  }
  config::DeploymentConfig own = base;
  if (!change.deployment_config_json.empty()) {
    auto applied = config::ApplyDeploymentUpdate(base, change.deployment_config_json);
    if (!applied.ok()) return applied.status().WithContext("version '" + change.name + "' --dc");
    own = std::move(applied).value();
  }
  SKIFF_RETURN_IF_ERROR(internal::CheckVersionDeployment(endpoint, own, "--dc"));
  for (const auto& [key, value] : change.tags) {
    if (value.empty()) {
      own.tags.erase(key);
    } else {
      own.tags[key] = value;
    }
  }
  if (change.description) own.description = *change.description;
  return config::ToJson(internal::VersionDeployment(endpoint, own)).dump();
}

StatusOr<Signature> SignatureOf(const store::EndpointVersionRecord& v) {
  auto ic = config::ParseInferenceConfig(v.inference_config_json);
  if (!ic.ok()) return ic.status().WithContext("version '" + v.version_name + "'");
  return config::ToSignature(*ic);
}

const store::EndpointVersionRecord* DefaultOf(
    const std::vector<store::EndpointVersionRecord>& versions) {
  for (const auto& v : versions) {
    if (v.is_default) return &v;
  }
  return nullptr;
}

// The signature gate, on the version list after a create-version or
// update-version of `change.name` (before: the list as it was). Clients are
// drawn to the default or to a version with a traffic share, so all of those
// take the default's signature; a version that differs may exist only with
// --allow-signature-change and no share, and making it the default (which
// changes the endpoint's signature) takes the flag again.
Status CheckSignatures(const std::string& endpoint,
                       const std::vector<store::EndpointVersionRecord>& before,
                       std::vector<store::EndpointVersionRecord>& after,
                       const EndpointVersion& change) {
  const store::EndpointVersionRecord* def = DefaultOf(after);
  if (def == nullptr) return OkStatus();  // ValidateVersions names the problem
  SKIFF_ASSIGN_OR_RETURN(Signature def_sig, SignatureOf(*def));
  const std::string def_name = "the default '" + def->version_name + "'";
  if (def->version_name == change.name) {
    // The endpoint's signature is the default's: did this change it?
    const store::EndpointVersionRecord* old_def = DefaultOf(before);
    if (old_def != nullptr) {
      SKIFF_ASSIGN_OR_RETURN(Signature old_sig, SignatureOf(*old_def));
      Status same =
          CompareSignatures(old_sig, "the current default '" + old_def->version_name + "'", def_sig,
                            "version '" + change.name + "'");
      if (!same.ok() && !change.allow_signature_change) {
        return FailedPrecondition(
            "endpoint '" + endpoint + "': " + same.message() + "; this changes the signature " +
            "every client of the endpoint sends. Pass --allow-signature-change" +
            " to do it (clients must send the new signature), or keep the default's signature");
      }
    }
  } else {
    auto it = std::find_if(after.begin(), after.end(),
                           [&](const auto& v) { return v.version_name == change.name; });
    if (it != after.end()) {
      SKIFF_ASSIGN_OR_RETURN(Signature sig, SignatureOf(*it));
      Status same = CompareSignatures(def_sig, def_name, sig, "version '" + change.name + "'");
      // A difference let in earlier (same configs on both sides) needs no
      // flag again to change the version's tags or model.
      const store::EndpointVersionRecord* old_def = DefaultOf(before);
      auto old = std::find_if(before.begin(), before.end(),
                              [&](const auto& v) { return v.version_name == change.name; });
      const bool let_in_before = old != before.end() && old_def != nullptr &&
                                 old->inference_config_json == it->inference_config_json &&
                                 old_def->version_name == def->version_name &&
                                 old_def->inference_config_json == def->inference_config_json;
      if (!same.ok()) {
        if (!change.allow_signature_change && !let_in_before) {
          return FailedPrecondition(
              "endpoint '" + endpoint + "': " + same.message() + "; a version takes the " +
              "default's signature. Fix the inference config, or pass --allow-signature-change" +
              " to add it with no drawn traffic until it is made the default");
        }
        if (change.traffic_percentile.value_or(0) > 0) {
          return FailedPrecondition(
              "endpoint '" + endpoint + "': --traffic-percentile " +
              std::to_string(*change.traffic_percentile) + ": version '" + change.name +
              "' has another signature than " + def_name + " (" + same.message() +
              "), so it gets no drawn traffic until it is made the default; leave out " +
              "--traffic-percentile, or make it the default (--is-default true)");
        }
        it->traffic_percentile = 0;  // reachable by pinning only
      }
    }
  }
  // Every other version with a share must match (the default just changed).
  for (const auto& v : after) {
    if (&v == def || v.version_name == change.name || v.traffic_percentile <= 0) continue;
    SKIFF_ASSIGN_OR_RETURN(Signature sig, SignatureOf(v));
    Status same = CompareSignatures(def_sig, def_name, sig, "version '" + v.version_name + "'");
    if (!same.ok()) {
      return FailedPrecondition("endpoint '" + endpoint + "': version '" + v.version_name +
                                "' takes " + std::to_string(v.traffic_percentile) +
                                "% of drawn traffic but " + same.message() +
                                "; set its share to 0 first (update-version --version-name " +
                                v.version_name + " --traffic-percentile 0)");
    }
  }
  return OkStatus();
}

// Shadow traffic, the flags of one create-version/update-version: a share
// 0-100, and not together with a drawn share or the default.
Status CheckShadowFlags(const EndpointVersion& change) {
  if (!change.shadow_percentile) return OkStatus();
  const int shadow = *change.shadow_percentile;
  if (shadow < 0 || shadow > 100) {
    return InvalidArgument("--shadow-percentile " + std::to_string(shadow) +
                           ": use 0-100 (the share of live requests copied to the version; 0 "
                           "turns it off)");
  }
  if (shadow == 0) return OkStatus();
  if (change.traffic_percentile.value_or(0) > 0) {
    return InvalidArgument("--shadow-percentile " + std::to_string(shadow) +
                           " and --traffic-percentile " +
                           std::to_string(*change.traffic_percentile) +
                           " conflict: a shadow version takes no drawn traffic (its answers are "
                           "compared, never returned); pass one of them");
  }
  if (change.is_default.value_or(false)) {
    return InvalidArgument("--shadow-percentile " + std::to_string(shadow) +
                           " and --is-default true conflict: the default version answers the "
                           "live traffic and cannot also shadow it; pass one of them");
  }
  return OkStatus();
}

// Shadow traffic, on the version list after a change of `change.name`: a
// new share takes the version's drawn share away (to the default), a
// shadow version cannot be or become the default or get a drawn share
// without turning its shadow off, and it must take the default's
// signature (it gets the live requests' inputs).
Status ApplyShadowRules(const std::string& endpoint,
                        std::vector<store::EndpointVersionRecord>& after,
                        const EndpointVersion& change) {
  for (auto& v : after) {
    if (v.version_name != change.name) continue;
    if (change.shadow_percentile.value_or(0) > 0 && v.is_default) {
      return FailedPrecondition("endpoint '" + endpoint + "': --shadow-percentile " +
                                std::to_string(*change.shadow_percentile) + ": version '" +
                                v.version_name + "' is the default, which answers the live "
                                "traffic; make another version the default first "
                                "(update-version --is-default true)");
    }
    if (change.shadow_percentile) {
      v.shadow_percentile = *change.shadow_percentile;
      if (v.shadow_percentile > 0) v.traffic_percentile = 0;  // its share goes to the default
    }
    if (v.shadow_percentile == 0) break;
    const std::string is_shadow = "version '" + v.version_name + "' is a shadow version (" +
                                  "shadow percentile " + std::to_string(v.shadow_percentile) + ")";
    if (v.is_default) {
      return FailedPrecondition("endpoint '" + endpoint + "': " + is_shadow +
                                " and cannot be the default; pass --shadow-percentile 0 with "
                                "--is-default true");
    }
    if (v.traffic_percentile > 0) {
      return FailedPrecondition("endpoint '" + endpoint + "': " + is_shadow +
                                " and takes no drawn traffic; pass --shadow-percentile 0 with "
                                "--traffic-percentile " +
                                std::to_string(v.traffic_percentile));
    }
  }
  const store::EndpointVersionRecord* def = DefaultOf(after);
  if (def == nullptr) return OkStatus();  // ValidateVersions names the problem
  SKIFF_ASSIGN_OR_RETURN(Signature def_sig, SignatureOf(*def));
  for (const auto& v : after) {
    if (v.shadow_percentile == 0 || &v == def) continue;
    SKIFF_ASSIGN_OR_RETURN(Signature sig, SignatureOf(v));
    Status same = CompareSignatures(def_sig, "the default '" + def->version_name + "'", sig,
                                    "version '" + v.version_name + "'");
    if (!same.ok()) {
      return FailedPrecondition("endpoint '" + endpoint + "': " + same.message() +
                                "; shadow version '" + v.version_name +
                                "' gets the live requests' inputs, so it takes the default's "
                                "signature (--allow-signature-change does not apply to shadows); "
                                "fix its inference config, or pass --shadow-percentile 0");
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<AksEndpoint> AksEndpoint::deploy(const Workspace& ws, const std::string& name,
                                          const EndpointVersion& first,
                                          const std::string& deployment_config_json,
                                          const ComputeTarget& target, bool overwrite) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(name));
  SKIFF_RETURN_IF_ERROR(ValidateVersionName(first.name));
  if (first.models.empty()) return InvalidArgument("the first version needs a model (-m NAME:VERSION)");
  SKIFF_RETURN_IF_ERROR(CheckOneModelPerVersion(first));
  if (first.shadow_percentile.value_or(0) != 0) {
    return InvalidArgument("--shadow-percentile: the first version is the default, which answers "
                           "the live traffic; add the shadow with `endpoint create-version`");
  }
  SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                         config::ParseInferenceConfig(first.inference_config_json));
  SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                         config::ParseDeploymentConfig(
                             deployment_config_json.empty() ? "{}" : deployment_config_json));
  if (auto existing = Webservice::get(ws, name); existing.ok()) {
    if (!overwrite) {
      return AlreadyExists("endpoint or service '" + name +
                           "' already exists; pass --overwrite to replace it, or change it with "
                           "`skiff endpoint update` / `create-version`");
    }
    SKIFF_RETURN_IF_ERROR(existing->delete_service());
  }
  SKIFF_RETURN_IF_ERROR(internal::RemoveSigningKeys(ws, name));  // as in Webservice::deploy
  SKIFF_RETURN_IF_ERROR(EnsureKeys(ws, name, dc));
  store::ServiceRecord record;
  record.name = name;
  record.compute_target = target.name();
  record.state = "Transitioning";
  record.deployment_config_json = WithoutKeys(dc);
  record.inference_config_json = config::ToJson(ic).dump();
  for (const auto& m : first.models) record.models.push_back({m.name(), m.version()});
  SKIFF_RETURN_IF_ERROR(ws.store().CreateService(record));
  store::EndpointRecord endpoint;
  endpoint.name = name;
  endpoint.compute_target = target.name();
  endpoint.state = "Transitioning";
  endpoint.config_json = record.deployment_config_json;
  if (Status made = ws.store().CreateEndpoint(endpoint); !made.ok()) {
    ForgetDeploy(ws, name, /*endpoint=*/false);
    return made;
  }
  EndpointVersion v = first;
  v.is_default = true;
  // The default version gets all unallocated traffic, so 0 still means "all of it" until
  // other versions take shares.
  v.traffic_percentile = first.traffic_percentile.value_or(0);
  v.inference_config_json = config::ToJson(ic).dump();
  Status versioned = ws.store().PutEndpointVersion(ToRecord(name, v));
  if (!versioned.ok()) {
    ForgetDeploy(ws, name, /*endpoint=*/true);
    return versioned;
  }
  SKIFF_RETURN_IF_ERROR(FirstRoll(ws, record, /*endpoint=*/true));
  return AksEndpoint(ws, record);
}

StatusOr<AksEndpoint> AksEndpoint::get(const Workspace& ws, const std::string& name) {
  SKIFF_ASSIGN_OR_RETURN(Webservice service, Webservice::get(ws, name));
  if (!service.is_endpoint()) {
    return FailedPrecondition("'" + name + "' is a service, not an endpoint; use `skiff service`");
  }
  return AksEndpoint(ws, service.record());
}

StatusOr<std::vector<store::EndpointVersionRecord>> AksEndpoint::versions() const {
  return ws_.store().ListEndpointVersions(record_.name);
}

StatusOr<AksEndpoint::VersionsChange> AksEndpoint::VersionChange(const EndpointVersion& version,
                                                                  bool creating) const {
  SKIFF_RETURN_IF_ERROR(CheckOneModelPerVersion(version));
  SKIFF_RETURN_IF_ERROR(CheckShadowFlags(version));
  const config::DeploymentConfig endpoint_dc = deployment_config();
  if (creating) {
    SKIFF_RETURN_IF_ERROR(ValidateVersionName(version.name));
    if (version.models.empty()) {
      return InvalidArgument("a new version needs a model (-m NAME:VERSION)");
    }
    SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                           config::ParseInferenceConfig(version.inference_config_json));
    EndpointVersion v = version;
    v.inference_config_json = config::ToJson(ic).dump();
    SKIFF_ASSIGN_OR_RETURN(v.deployment_config_json,
                           OwnDeployment(endpoint_dc, endpoint_dc, /*had_own=*/false, version));
    return VersionsChange([this, v](std::vector<store::EndpointVersionRecord>& versions) -> Status {
      for (const auto& existing : versions) {
        if (existing.version_name == v.name) {
          return AlreadyExists("version '" + v.name + "' already exists; use update-version");
        }
      }
      const auto before = versions;
      if (v.is_default.value_or(false)) {
        for (auto& existing : versions) existing.is_default = false;
      }
      versions.push_back(ToRecord(record_.name, v));
      SKIFF_RETURN_IF_ERROR(CheckSignatures(record_.name, before, versions, v));
      return ApplyShadowRules(record_.name, versions, v);
    });
  }
  std::string ic_json;
  if (!version.inference_config_json.empty()) {
    SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                           config::ParseInferenceConfig(version.inference_config_json));
    ic_json = config::ToJson(ic).dump();
  }
  return VersionsChange([this, version, ic_json, endpoint_dc](
                            std::vector<store::EndpointVersionRecord>& versions) -> Status {
    const auto before = versions;
    store::EndpointVersionRecord* target = nullptr;
    for (auto& existing : versions) {
      if (existing.version_name == version.name) target = &existing;
    }
    if (target == nullptr) {
      return NotFound("version '" + version.name + "' does not exist on endpoint '" +
                      record_.name + "'");
    }
    if (version.traffic_percentile) target->traffic_percentile = *version.traffic_percentile;
    if (version.is_control_version_type) target->is_control = *version.is_control_version_type;
    if (version.is_default) {
      if (*version.is_default) {
        for (auto& existing : versions) existing.is_default = false;
      }
      target->is_default = *version.is_default;
    }
    if (!version.models.empty()) {
      target->models.clear();
      for (const auto& m : version.models) target->models.push_back({m.name(), m.version()});
    }
    if (!ic_json.empty()) target->inference_config_json = ic_json;
    // Its own deployment config, recorded with the rest once the target
    // runs it (ChangeVersions).
    const bool had_own = HasOwnDeployment(*target);
    SKIFF_ASSIGN_OR_RETURN(std::string own,
                           OwnDeployment(endpoint_dc, version_deployment_config(*target),
                                         had_own, version));
    target->deployment_config_json = own.empty() ? "{}" : own;
    SKIFF_RETURN_IF_ERROR(CheckSignatures(record_.name, before, versions, version));
    return ApplyShadowRules(record_.name, versions, version);
  });
}

Status AksEndpoint::create_version(const EndpointVersion& version) const {
  SKIFF_ASSIGN_OR_RETURN(VersionsChange change, VersionChange(version, /*creating=*/true));
  return ChangeVersions(ws_, record_.name, "create-version", change);
}

Status AksEndpoint::update_version(const EndpointVersion& version) const {
  SKIFF_ASSIGN_OR_RETURN(VersionsChange change, VersionChange(version, /*creating=*/false));
  return ChangeVersions(ws_, record_.name, "update-version", change);
}

StatusOr<std::string> AksEndpoint::render_version_dry_run(const EndpointVersion& version,
                                                          bool creating) const {
  SKIFF_ASSIGN_OR_RETURN(VersionsChange change, VersionChange(version, creating));
  SKIFF_ASSIGN_OR_RETURN(auto versions, ws_.store().ListEndpointVersions(record_.name));
  SKIFF_RETURN_IF_ERROR(change(versions));
  SKIFF_RETURN_IF_ERROR(ValidateVersions(versions).WithContext("endpoint '" + record_.name + "'"));
  SKIFF_ASSIGN_OR_RETURN(auto inputs, CurrentVersions(ws_, record_, &versions));
  const config::DeploymentConfig dc = deployment_config();
  SKIFF_ASSIGN_OR_RETURN(ServiceSpec spec,
                         internal::BuildServiceSpec(
                             ws_, record_.name, record_.deployment_config_json, inputs,
                             NewGeneration(), internal::DryRunKeyDigests(ws_, record_.name, dc)));
  SKIFF_ASSIGN_OR_RETURN(ComputeTarget target, ComputeTarget::get(ws_, record_.compute_target));
  return internal::RenderDryRun(target, spec, /*update=*/true);
}

config::DeploymentConfig AksEndpoint::version_deployment_config(
    const store::EndpointVersionRecord& version) const {
  const config::DeploymentConfig endpoint = deployment_config();
  if (!HasOwnDeployment(version)) return endpoint;
  auto own = config::ParseDeploymentConfig(version.deployment_config_json);
  return own.ok() ? internal::VersionDeployment(endpoint, *own) : endpoint;
}

Status AksEndpoint::delete_version(const std::string& version_name) const {
  return ChangeVersions(ws_, record_.name, "delete-version", [&](auto& versions) -> Status {
    auto it = std::find_if(versions.begin(), versions.end(),
                           [&](const auto& v) { return v.version_name == version_name; });
    if (it == versions.end()) {
      return NotFound("version '" + version_name + "' does not exist on endpoint '" +
                      record_.name + "'");
    }
    if (versions.size() == 1) {
      return FailedPrecondition("'" + version_name +
                                "' is the endpoint's last version; delete the endpoint instead");
    }
    if (it->is_default) {
      return FailedPrecondition("'" + version_name +
                                "' is the default version; make another version the default "
                                "(update-version --is-default) first");
    }
    versions.erase(it);
    return OkStatus();
  });
}

}  // namespace skiff::sdk
