// SPDX-License-Identifier: Apache-2.0
// Web services and endpoints (mirrors azureml.core.webservice: Webservice,
// AksWebservice, AksEndpoint, and Model.deploy). A service is served by one
// skiff-server on its compute target; an endpoint is a service with 1-6
// versions, traffic percentiles, a default and control/treatment types.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "skiff/authenticator.h"
#include "skiff/compute_target.h"
#include "skiff/config/deployment_config.h"
#include "skiff/config/inference_config.h"
#include "skiff/sdk/compute_target.h"
#include "skiff/sdk/model.h"
#include "skiff/sdk/rollout.h"
#include "skiff/sdk/workspace.h"

namespace skiff::sdk {

// AksWebservice.deploy_configuration(...) with Azure ML's parameter names and
// defaults (every field of config::DeploymentConfig documents its default).
struct AksWebservice {
  struct Params {
    std::optional<bool> autoscale_enabled;
    std::optional<int> autoscale_min_replicas, autoscale_max_replicas;
    std::optional<int> autoscale_refresh_seconds, autoscale_target_utilization;
    std::optional<bool> auth_enabled, token_auth_enabled, enable_app_insights;
    std::optional<double> cpu_cores, memory_gb, cpu_cores_limit, memory_gb_limit;
    std::optional<int> gpu_cores;
    std::optional<int> scoring_timeout_ms, replica_max_concurrent_requests,
        max_request_wait_time, num_replicas;
    std::optional<std::string> primary_key, secondary_key, namespace_;
    std::optional<int> period_seconds, initial_delay_seconds, timeout_seconds,
        success_threshold, failure_threshold;
    std::optional<bool> collect_model_data;
    std::map<std::string, std::string> tags, properties;
    std::string description;
  };
  // Validated like a deploymentconfig.json.
  static StatusOr<config::DeploymentConfig> deploy_configuration(const Params& params);
};

// Azure ML's service states.
using skiff::ServiceState;

class Webservice {
 public:
  // Model.deploy: deploys `models` (at least one; the first is served) as
  // service `name` on `target`. With `overwrite` an existing service of that
  // name is replaced; otherwise kAlreadyExists.
  static StatusOr<Webservice> deploy(const Workspace& ws, const std::string& name,
                                     const std::vector<Model>& models,
                                     const std::string& inference_config_json,
                                     const std::string& deployment_config_json,
                                     const ComputeTarget& target, bool overwrite = false);
  // As above, from typed configs (Model::deploy's typed overload).
  static StatusOr<Webservice> deploy(const Workspace& ws, const std::string& name,
                                     const std::vector<Model>& models,
                                     const config::InferenceConfig& inference_config,
                                     const config::DeploymentConfig& deployment_config,
                                     const ComputeTarget& target, bool overwrite = false);
  // `model deploy --dry-run`: what deploy() would create on an aks `target`,
  // as Kubernetes YAML (docs/kubernetes.md). Changes nothing: no record, no
  // keys, no cluster call. Key digests are those of the keys the config sets,
  // else of an existing service's keys, else placeholders; signing-key
  // material is redacted. kUnimplemented for non-aks targets.
  static StatusOr<std::string> render_dry_run(const Workspace& ws, const std::string& name,
                                              const std::vector<Model>& models,
                                              const std::string& inference_config_json,
                                              const std::string& deployment_config_json,
                                              const ComputeTarget& target);
  static StatusOr<Webservice> get(const Workspace& ws, const std::string& name);
  static StatusOr<std::vector<Webservice>> list(const Workspace& ws);

  // Polls the target until Healthy or Failed (or `timeout`), calling
  // `progress(state, elapsed)` on every state change. Refreshes record().
  StatusOr<ServiceStatus> wait_for_deployment(
      std::chrono::seconds timeout = std::chrono::seconds(600),
      const std::function<void(ServiceState, std::chrono::milliseconds)>& progress = {});
  // The same wait, calling `on_poll(status, elapsed)` after every poll, not
  // only on a state change: while Transitioning `status.error` carries the
  // target's progress in words (aks: "Deployment ns/svc: 1/3 updated, 0/3
  // available"), for a caller that shows it (the CLI's progress line).
  StatusOr<ServiceStatus> wait_for_deployment(
      std::chrono::seconds timeout,
      const std::function<void(const ServiceStatus&, std::chrono::milliseconds)>& on_poll);
  // Asks the target for the current state, detailed (ComputeTarget::
  // GetDetailedState: replicas, restarts, the last minute's load);
  // refreshes record() (state and scoring URI) and stores a change.
  StatusOr<ServiceStatus> state();
  StatusOr<std::string> get_logs(int num_lines = 5000) const;
  // The last `num_lines` lines, then new ones as they are written, into
  // `sink` until it returns false (ComputeTarget::FollowLogs). Blocks.
  Status follow_logs(int num_lines, LogSink* sink) const;
  // If the service's runtime died without being stopped (on the local
  // target: its supervisor was SIGKILLed, or the machine rebooted), starts
  // it again from the configuration it last ran and waits until it is
  // Healthy or Failed. Returns true if it did. Does nothing (false) while
  // another operation holds the service. update(), regen_key() and the
  // endpoint version calls do this themselves.
  StatusOr<bool> revive_if_down();
  // Stops the service's runtime and starts it again with its current
  // configuration and scoring URI (`skiff service restart`). Returns once
  // it has been started; wait_for_deployment() waits for Healthy.
  // kUnimplemented on targets that cannot (aks: update it instead).
  Status restart();
  // (primary, secondary)
  StatusOr<std::pair<std::string, std::string>> get_keys() const;
  // Regenerates "Primary"/"Secondary" (case-insensitive), or sets it to
  // `set_key` (32..8192 printable ASCII characters, no whitespace). Atomic:
  // returns OK once the running service accepts the new key and get_keys()
  // shows it; on any error both keep the previous keys.
  Status regen_key(const std::string& key, const std::string& set_key = "") const;
  // A token for token-auth services: (token, refresh_by Unix seconds),
  // signed with the service's current signing key.
  StatusOr<Credential> get_token() const;
  // Token auth: rotates the service's signing key so every token issued
  // before stops verifying once `grace_period` has passed (0: at once);
  // new tokens use the new key. Atomic like regen_key(): on an error the
  // previous key stays in use.
  Status regen_signing_key(std::chrono::seconds grace_period = std::chrono::seconds(0)) const;
  // Rolls the service to new models / inference config / deployment config
  // (each optional) with no failed request. Refreshes record().
  Status update(const std::vector<Model>& models = {},
                const std::string& inference_config_json = "",
                const std::string& deployment_config_json = "");
  // `service update --dry-run`: the objects update() would apply on an aks
  // target, as YAML; changes nothing (no record, no keys, no cluster call).
  StatusOr<std::string> render_update_dry_run(const std::vector<Model>& models,
                                              const std::string& inference_config_json = "",
                                              const std::string& deployment_config_json = "") const;
  Status delete_service() const;
  // POSTs `input_json` to the Azure-style scoring URI with the key or token;
  // returns the response body (error: the status and body).
  StatusOr<std::string> run(const std::string& input_json) const;

  const std::string& name() const { return record_.name; }
  const store::ServiceRecord& record() const { return record_; }
  bool is_endpoint() const;
  std::string scoring_uri() const;
  std::string swagger_uri() const;
  config::DeploymentConfig deployment_config() const;

 protected:
  Webservice(Workspace ws, store::ServiceRecord record)
      : ws_(std::move(ws)), record_(std::move(record)) {}
  Workspace ws_;
  store::ServiceRecord record_;
};

// One version of an endpoint, as create_version/update_version take it.
struct EndpointVersion {
  std::string name;
  std::vector<Model> models;             // required on create
  std::string inference_config_json;     // required on create
  std::optional<int> traffic_percentile;
  std::optional<bool> is_default;
  std::optional<bool> is_control_version_type;
  // The version's own deploymentconfig.json (Azure's create_version
  // cpu_cores, memory_gb, num_replicas, autoscale_*, probe and timeout
  // arguments): on create it applies to the endpoint's config, on update to
  // the version's, as a merge patch (config::ApplyDeploymentUpdate). Auth,
  // keys, namespace, port and the body limit stay the endpoint's (refused
  // here). "" = unchanged (create: the endpoint's).
  std::string deployment_config_json;
  // Tags merged into the version's (a "" value removes the tag), and its
  // description; shown by `endpoint show`.
  std::map<std::string, std::string> tags;
  std::optional<std::string> description;
  // The signature gate (docs/rollout.md): a version whose inputs or outputs
  // differ from the default version's is refused, with a message naming the
  // first tensor that differs, unless this is set. Then it gets no drawn
  // traffic (its traffic percentile is 0; a percentile above 0 is refused)
  // until it is made the default, which this must be set for too.
  bool allow_signature_change = false;
  // Shadow traffic (docs/rollout.md#shadow-traffic): this share (0-100) of
  // the endpoint's live requests is also sent to this version; its answers
  // are compared with the live ones (skiff_shadow_* metrics, `endpoint
  // show`) and never returned. 0 turns it off. A shadow version is not the
  // default and takes no drawn traffic: setting a share sets its traffic
  // percentile to 0 (the share goes back to the default), and asking for
  // both, or for the default, is refused. It must have the default's
  // signature. Unset = unchanged (create: 0).
  std::optional<int> shadow_percentile;
};

class AksEndpoint : public Webservice {
 public:
  // Creates endpoint `name` with its first version (the default). With
  // `overwrite` an existing service or endpoint of that name is deleted
  // first; otherwise kAlreadyExists. Returns once the target took it;
  // wait_for_deployment() waits for Healthy.
  static StatusOr<AksEndpoint> deploy(const Workspace& ws, const std::string& name,
                                      const EndpointVersion& first_version,
                                      const std::string& deployment_config_json,
                                      const ComputeTarget& target, bool overwrite = false);
  // `endpoint create --dry-run`: what deploy() would create on an aks
  // `target`, as Kubernetes YAML; changes nothing (as
  // Webservice::render_dry_run). kUnimplemented for non-aks targets.
  static StatusOr<std::string> render_dry_run(const Workspace& ws, const std::string& name,
                                              const EndpointVersion& first_version,
                                              const std::string& deployment_config_json,
                                              const ComputeTarget& target);
  static StatusOr<AksEndpoint> get(const Workspace& ws, const std::string& name);

  Status create_version(const EndpointVersion& version) const;
  // Changes traffic, default, type, and optionally models/inference config;
  // takes effect on the running endpoint without failing requests.
  Status update_version(const EndpointVersion& version) const;
  // `create-version|update-version --dry-run`: what the change would apply
  // on an aks target, as Kubernetes YAML (the router's config carries the
  // versions' traffic and shadow shares); checks the change as the call
  // would and changes nothing. kUnimplemented for non-aks targets.
  StatusOr<std::string> render_version_dry_run(const EndpointVersion& version,
                                               bool creating) const;
  // In-flight requests on the version finish before it is unloaded.
  Status delete_version(const std::string& version_name) const;
  StatusOr<std::vector<store::EndpointVersionRecord>> versions() const;
  // The deployment config `version` runs with: its own (create_version
  // --dc, --tag, --description), else the endpoint's.
  config::DeploymentConfig version_deployment_config(
      const store::EndpointVersionRecord& version) const;

  // Progressive delivery (rollout.h, docs/rollout.md). Start checks the plan
  // against the endpoint (kInvalidArgument naming the flag and the fix;
  // FailedPrecondition when a rollout is already running, naming its
  // controller), records it, applies the first step and, with
  // `spawn_controller`, starts the detached controller process.
  StatusOr<RolloutState> rollout_start(const RolloutOptions& options,
                                       bool spawn_controller = true) const;
  // `rollout start --dry-run`: the plan and each traffic change it would
  // make, as text; changes nothing (any target).
  StatusOr<std::string> rollout_plan(const RolloutOptions& options) const;
  // The rollout and its controller; with `revive`, an active rollout whose
  // controller is gone gets a new one.
  StatusOr<RolloutInfo> rollout_status(bool revive = true) const;
  Status rollout_pause() const;
  Status rollout_resume(bool spawn_controller = true) const;
  // Stops the rollout and puts the candidate's traffic back where it was
  // when the rollout started.
  Status rollout_abort() const;
  // Runs the controller in this process until the rollout ends (what the
  // spawned `skiff endpoint rollout run` does). FailedPrecondition naming
  // the holder when another controller drives the endpoint.
  Status rollout_run(const RolloutControllerOptions& options = {}) const;
  // One poll of the controller (tests drive it with a fake clock): true
  // while the rollout is still active.
  StatusOr<bool> rollout_tick(const RolloutControllerOptions& options) const;

 private:
  using Webservice::Webservice;
  // create_version's or update_version's change to the version list (checked
  // and applied by ChangeVersions, or by a dry run).
  using VersionsChange = std::function<Status(std::vector<store::EndpointVersionRecord>&)>;
  StatusOr<VersionsChange> VersionChange(const EndpointVersion& version, bool creating) const;
};

}  // namespace skiff::sdk
