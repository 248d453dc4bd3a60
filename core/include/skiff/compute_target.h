// SPDX-License-Identifier: Apache-2.0
// ComputeTarget: the interface a compute plugin (libskiff_compute_*.so)
// implements: manage the target itself and the services deployed on it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/version_load.h"
#include "skiff/plugin_abi.h"
#include "skiff/status.h"

namespace skiff {

// A compute target's definition as stored in the workspace.
struct ComputeSpec {
  std::string name;
  std::string type;           // the plugin's name: libskiff_compute_<type>.so
  std::string config_json;    // plugin-specific provisioning/attach config
  std::string workspace_dir;  // for state and logs the target keeps locally
};

// Everything needed to run one service (or one endpoint version): only what
// a compute plugin reads. The models, their artifacts and digests, the
// versions and traffic all travel inside server_config_json.
struct ServiceSpec {
  std::string name;
  std::string workspace_dir;
  std::string deployment_config_json;  // validated deploymentconfig.json
  // The complete skiff-server configuration (docs/server-config.md) the
  // target runs: versions with their artifacts, auth digests, limits, and
  // the generation GetState() reports as applied or refused.
  std::string server_config_json;
};

// Azure ML's service states.
enum class ServiceState : int32_t { kTransitioning = 0, kHealthy = 1, kUnhealthy = 2, kFailed = 3 };

const char* ServiceStateName(ServiceState state);  // "Transitioning", ...

struct ServiceStatus {
  ServiceState state = ServiceState::kTransitioning;
  std::string scoring_uri;
  std::string swagger_uri;
  // Where this machine can read the service's Prometheus metrics (GET),
  // served apart from the scoring port: the local target's loopback
  // listener. Empty where they are not reachable from here (AKS: inside the
  // cluster only, docs/kubernetes.md).
  std::string metrics_uri;
  std::string error;  // why it is Unhealthy/Failed, empty otherwise
  // Unplanned restarts so far: server processes that exited and were
  // started again, plus runtimes revived by ReviveService() (local); the
  // containers' restartCount summed over the pods (Kubernetes: in
  // GetDetailedState(), and in GetState() while a rollout is unfinished).
  // 0 where the target does not count them.
  int32_t restarts = 0;
  // The configuration generation the running server serves (the one in its
  // ServiceSpec.server_config_json), and the last one it refused with its
  // reason, so a caller waiting for a change learns a refusal at once. -1 /
  // empty where the target does not know (the caller then takes Healthy as
  // applied).
  int64_t applied_generation = -1;
  int64_t refused_generation = -1;
  std::string refusal;
  // How the deployment config's containerResourceRequirements are held on
  // this target, in words ("cgroup v2 ...: memory.max ..., cpu.max ...;
  // CPU affinity 0-1" on the local target); empty where the target does
  // not say (Kubernetes enforces the pod's own limits).
  std::string resources;
  // The KServe v2 gRPC listener as HOST:PORT (a gRPC client's target), when
  // the deployment config enables it (`grpc`); empty otherwise.
  std::string grpc_uri;
  // Replicas that answer ready, of those the service should have: server
  // processes on the local target (one per service), pods of every
  // Deployment on Kubernetes. -1 where the target does not know.
  int32_t replicas_ready = -1;
  int32_t replicas_total = -1;
  // Each version's requests and 5xx answers over the last minute, from the
  // server's own counters (its metrics listener's GET /load). Empty when
  // they cannot be read from here; `load_note` then says why (AKS: the
  // router's listener is inside the cluster). Never made up.
  std::vector<VersionLoad> load;
  std::string load_note;
};

// The keys the host adds to the record's config_json to make a compute
// plugin's create() options, for every compute type (the plugin's own keys
// are its business): the target's name and the workspace it lives in, for
// calls that carry only a service name.
inline constexpr const char* kComputeOptionTargetName = "targetName";
inline constexpr const char* kComputeOptionWorkspaceDir = "workspaceDir";

// One fact about a target's infrastructure, for `skiff computetarget show`.
struct ComputeProperty {
  enum class Kind : int32_t { kText = 0, kNumber = 1, kBool = 2 };
  std::string name;   // camelCase, as `show --output json` prints it: "agentCount"
  std::string value;  // as text: "3", "Standard_D3_v2", "true"
  Kind kind = Kind::kText;  // how JSON output types `value`
};

// What a compute plugin knows about its target's infrastructure.
struct ComputeDescription {
  // The provisioning state ("Creating", "Succeeded", "Failed", "Canceled",
  // ...); empty where the plugin keeps none (the host's record then stands).
  std::string state;
  std::string error;  // why the infrastructure failed, empty otherwise
  // Plugin-specific facts in display order: node count, VM size, location,
  // cluster purpose, FQDN, SSL, ...
  std::vector<ComputeProperty> properties;
  std::vector<std::string> warnings;  // e.g. a DevTest cluster below 2 vCPUs
};

struct RefreshOptions {
  // Wait until the infrastructure reaches a terminal state (Azure ML's
  // wait_for_completion) instead of reading it once.
  bool wait = false;
  // Print progress lines on stderr while waiting; never a token or secret.
  bool show_output = false;
};

// Where FollowLogs puts what it reads. OWNERSHIP: the caller's; it outlives
// the FollowLogs call that writes to it.
class LogSink {
 public:
  virtual ~LogSink();
  // `text`: whole lines, or "" when nothing new came for a while (so the
  // sink can say stop even then). Returns false to stop following.
  // Threading: called on the FollowLogs caller's thread only.
  virtual bool Write(std::string_view text) = 0;
};

// Where ReadExposureLog puts what it reads. OWNERSHIP: the caller's; it
// outlives the ReadExposureLog call that writes to it.
class ExposureLogSink {
 public:
  virtual ~ExposureLogSink();
  // A page of the exposure log of `source` (where it was read: the router
  // pod's name on AKS): whole JSON lines, each ending in '\n', oldest first.
  // Called for every page, an empty one too, so each source read shows.
  // Returns false to stop reading (every source).
  // Threading: called on the ReadExposureLog caller's thread only.
  virtual bool Write(const std::string& source, std::string_view lines) = 0;
  // `source` could not be read whole (unreachable, refused, out of time, a
  // part rotated away while it was read); `reason` says which, in words,
  // with no secret. The pages written before stand. Threading: as Write.
  virtual void Incomplete(const std::string& source, const std::string& reason) = 0;
};

class ComputeTarget {
 public:
  static constexpr uint32_t kPluginKind = SKIFF_PLUGIN_KIND_COMPUTE;

  virtual ~ComputeTarget();

  // Creates new infrastructure (e.g. an AKS cluster). May return before the
  // target is ready; progress is visible through the plugin's own state.
  // Threading: the caller holds the workspace's operation lock for `spec.name`.
  virtual Status Provision(const ComputeSpec& spec) = 0;
  // Attaches existing infrastructure. Threading: as Provision().
  virtual Status Attach(const ComputeSpec& spec) = 0;
  // Forgets the target without deleting the infrastructure. Threading: as Provision().
  virtual Status Detach(const ComputeSpec& spec) = 0;
  // Deletes the infrastructure. Threading: as Provision().
  virtual Status Delete(const ComputeSpec& spec) = 0;
  // What the plugin last learned about the infrastructure, without asking
  // it again (no network): cheap enough for `computetarget list`. The
  // default: an empty description (state "").
  // Threading: may be called concurrently with anything.
  virtual StatusOr<ComputeDescription> Describe(const ComputeSpec& spec);
  // Asks the infrastructure for its state again (AKS: GET the cluster),
  // with `options.wait` until it is terminal, and fetches what a create
  // that did not wait left out; returns the new description. kAborted when
  // the wait ends in Failed/Canceled, kNotFound when the infrastructure is
  // gone. The default (nothing to refresh): Describe(spec).
  // Threading: as Provision().
  virtual StatusOr<ComputeDescription> Refresh(const ComputeSpec& spec,
                                               const RefreshOptions& options);

  // Starts a service. Returns once the deployment has been accepted; use
  // GetState() to wait for Healthy.
  // Threading: may be called concurrently for different services, never for
  // the same one (the caller holds the service's operation lock).
  virtual Status DeployService(const ServiceSpec& spec) = 0;
  // Rolls a running service over to a new spec without dropping requests.
  // Threading: as DeployService().
  virtual Status UpdateService(const ServiceSpec& spec) = 0;
  // Stops a service and releases what it holds. Threading: as DeployService().
  virtual Status DeleteService(const std::string& service) = 0;

  // Starts a service again whose runtime died without being stopped (on the
  // local target: its supervisor was killed, or the machine rebooted), from
  // the configuration it last ran. Returns true if it started it, false if
  // it was running (or the target restarts services by itself, the default).
  // kNotFound if the target has no such service. Threading: as DeployService().
  virtual StatusOr<bool> ReviveService(const std::string& service);
  // Stops the service's runtime and starts it again with its current
  // configuration, keeping its scoring URI. kNotFound if there is no such
  // service; kUnimplemented where the target cannot (the default).
  // Threading: as DeployService().
  virtual Status RestartService(const std::string& service);

  // Current state, including the generation the service applied or refused
  // where the target can tell (both do: local from the server's status
  // file, aks from the Deployments of that generation).
  // Threading: may be called concurrently with anything.
  virtual StatusOr<ServiceStatus> GetState(const std::string& service) = 0;
  // GetState() plus what costs the target more to learn, for a one-off look
  // (`service list`, `show`) rather than a wait's polls: on Kubernetes the
  // pods' restarts, one more LIST. The default: GetState().
  // Threading: as GetState().
  virtual StatusOr<ServiceStatus> GetDetailedState(const std::string& service);
  // The last `num_lines` lines of the service's logs (all when <= 0).
  // Threading: may be called concurrently with anything.
  virtual StatusOr<std::string> GetLogs(const std::string& service, int32_t num_lines) = 0;
  // The service's metrics as this machine can read them, by server: the
  // Prometheus text of each server that routes its requests (aks: each
  // router pod, through the Kubernetes API's pod proxy), for progressive
  // rollouts (docs/rollout.md). kUnimplemented (the default) where the
  // target has no such path; the SDK then reads ServiceStatus::metrics_uri.
  // Threading: may be called concurrently with anything.
  virtual StatusOr<std::map<std::string, std::string>> ReadMetrics(const std::string& service);
  // The service's exposure log (docs/rollout.md "The exposure log") where
  // it is not a file on this machine: every server that assigns requests by
  // routing key, one after another, a page at a time into `sink` (aks: each
  // router pod's GET /exposure on its metrics listener through the
  // Kubernetes API's pod proxy, within a time budget per pod). A source that
  // cannot be read is `sink->Incomplete`, and the others are still read.
  // kNotFound if there is no such service or it has no such server;
  // kUnimplemented where the target has no such path (the default; the
  // local target's log is a file here). Blocks the calling thread.
  // Threading: may be called concurrently with anything.
  virtual Status ReadExposureLog(const std::string& service, ExposureLogSink* sink);
  // Hands `sink` the last `num_lines` lines of the service's logs (as
  // GetLogs), then new lines as they are written, until `sink` returns false
  // (`skiff service get-logs --follow`). kNotFound if there is no such
  // service; kUnimplemented where the target cannot follow (the default).
  // Blocks the calling thread. Threading: may be called concurrently with
  // anything.
  virtual Status FollowLogs(const std::string& service, int32_t num_lines, LogSink* sink);
};

}  // namespace skiff
