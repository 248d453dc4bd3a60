// SPDX-License-Identifier: Apache-2.0
// AksComputeTarget: the "aks" compute target, and the "kubernetes" one
// (configType kubeconfig: any cluster through the user's kubeconfig, no
// ARM; docs/kubernetes.md). Part 1 manages the cluster
// itself through Azure Resource Manager: create (PUT managedClusters + the
// long-running operation), attach (GET), detach (local files only) and
// delete (DELETE + the operation); each fetches or drops the cluster user
// kubeconfig. Part 2 runs services on the cluster: the renderer (k8s/)
// makes the objects, ServiceLifecycle applies them with the Kubernetes
// client (kube/) and reads state and logs back. See docs/compute-aks.md and
// docs/kubernetes.md.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aks_config.h"
#include "arm/arm_client.h"
#include "arm/credentials.h"
#include "arm/long_running_operation.h"
#include "service_lifecycle.h"
#include "skiff/compute_target.h"

namespace skiff::compute_aks {

// cluster.json's key for the AcrPull role assignment skiff made (its ARM
// resource ID), removed on detach and delete.
inline constexpr const char* kAcrPullAssignmentKey = "acrPullRoleAssignment";

struct AksTargetOptions {
  AksConfig config;                          // ParseAksConfig() of the record's config_json
  std::shared_ptr<HttpTransport> transport;  // default: Beast over OpenSSL (SKIFF_CA_FILE)
  // A managed identity's endpoint; default: a client that may use plain http
  // to 169.254.169.254 (managed_identity.h).
  std::shared_ptr<HttpTransport> metadata_transport;
  std::shared_ptr<Clock> clock;              // default: RealClock()
  EnvLookup env;                             // default: the process environment
  RetryOptions retry;                        // default: 10 min per call
  LroOptions lro;                            // default: 15 s polls, 60 min in all
  // Called with progress lines while waiting; default: stderr when the
  // config says showOutput, else nothing. Never sees a token or secret.
  ProgressFn progress;
};

class AksComputeTarget final : public ComputeTarget {
 public:
  static StatusOr<std::unique_ptr<AksComputeTarget>> Create(AksTargetOptions options);
  ~AksComputeTarget() override;

  // Creates the cluster (config must be a provisioning one): validates,
  // PUTs, follows the operation unless `wait` is false, then stores the
  // kubeconfig and cluster.json. Threading: the caller serialises
  // operations on one target (it holds the workspace's lock for the name).
  Status Provision(const ComputeSpec& spec) override;
  // Links an existing cluster (config must be an attach one); kAlreadyExists
  // naming the target that holds it already. Threading: as Provision().
  Status Attach(const ComputeSpec& spec) override;
  // Removes the AcrPull assignment create/attach made (ARM), then
  // <ws>/compute/<name>/; the cluster is left alone.
  Status Detach(const ComputeSpec& spec) override;
  // DELETEs a cluster this target created and waits for it to go, then
  // its AcrPull assignment;
  // kFailedPrecondition for an attached cluster (detach it instead).
  Status Delete(const ComputeSpec& spec) override;

  // Part 2 (service_lifecycle.h): render (k8s/), apply, prune; state from
  // the rollouts and the router's load balancer; pod logs; delete by label.
  Status DeployService(const ServiceSpec& spec) override;
  Status UpdateService(const ServiceSpec& spec) override;
  Status DeleteService(const std::string& service) override;
  StatusOr<ServiceStatus> GetState(const std::string& service) override;
  // GetState() plus the pods' restarts (one more LIST).
  StatusOr<ServiceStatus> GetDetailedState(const std::string& service) override;
  StatusOr<std::string> GetLogs(const std::string& service, int32_t num_lines) override;
  // The router and version pods' log streams until `sink` says stop
  // (ServiceLifecycle::FollowLogs).
  Status FollowLogs(const std::string& service, int32_t num_lines, LogSink* sink) override;
  StatusOr<std::map<std::string, std::string>> ReadMetrics(const std::string& service) override;
  // Each router pod's GET /exposure, paged through the pod proxy.
  Status ReadExposureLog(const std::string& service, ExposureLogSink* sink) override;

  // The stored cluster.json as a ComputeDescription: provisioningState,
  // error, warnings and the properties `computetarget show` prints
  // (kubernetesVersion, agentCount, vmSize, clusterPurpose, resourceId,
  // attached, location, fqdn, loadBalancerType, ...). No network.
  // FailedPrecondition when the target has no cluster.json.
  StatusOr<ComputeDescription> Describe(const ComputeSpec& spec) override;
  // GETs the cluster, refreshes cluster.json and describes it; with
  // `options.wait` polls (LroOptions: default_interval, timeout) until the
  // provisioningState is Succeeded, Failed or Canceled; fetches the
  // kubeconfig once it is Succeeded and none is stored (a `--no-wait`
  // create). kAborted when the wait ends in Failed/Canceled, kNotFound when
  // the cluster is gone from Azure. Threading: as Provision().
  StatusOr<ComputeDescription> Refresh(const ComputeSpec& spec,
                                       const RefreshOptions& options) override;

  const AksConfig& config() const { return options_.config; }

 private:
  explicit AksComputeTarget(AksTargetOptions options);

  StatusOr<ArmClient*> Arm();
  Status FetchKubeconfig(ArmClient& arm, const ComputeSpec& spec, const ClusterRef& ref);
  Status ProvisionImpl(const ComputeSpec& spec);
  // After a create succeeded: AcrPull for the kubelet identity on the ACR
  // `registry_id` (config `registry`), and the registry into `info`.
  Status AllowPull(ArmClient& arm, const ClusterRef& ref, const std::string& registry_id,
                   nlohmann::json& info);
  Status AttachImpl(const ComputeSpec& spec);
  // configType kubeconfig (the "kubernetes" plugin): no ARM.
  Status AttachKubeconfigImpl(const ComputeSpec& spec);
  // A client for the kubeconfig target's cluster; `loaded` (may be null)
  // gets the kubeconfig as read.
  StatusOr<std::unique_ptr<kube::KubeClient>> KubeconfigClient(kube::Kubeconfig* loaded);
  // DELETEs the AcrPull assignment cluster.json records (kAcrPullAssignmentKey).
  Status RevokePull(const ComputeSpec& spec);
  Status DeleteImpl(const ComputeSpec& spec);
  void Progress(const std::string& line) const;
  StatusOr<nlohmann::json> RefreshInfo(const std::string& workspace_dir, const std::string& name,
                                       bool wait, const ProgressFn& progress);

  AksTargetOptions options_;
  std::mutex mu_;
  std::unique_ptr<ArmClient> arm_;              // guarded by mu_; built on first use
  std::unique_ptr<ServiceLifecycle> services_;  // guarded by mu_; built on first use
  StatusOr<ServiceLifecycle*> Services();
  Status ApplyService(const ServiceSpec& spec);
  // With a `registry` and no `kubernetes.image`: builds (or reuses) and
  // pushes the service's images (image_publisher.h; with `dry_run` builds
  // only) and sets `config`'s image and modelImages to their digests.
  // Without a registry: a warning naming --registry and kubernetes.image.
  Status PublishImagesFor(const ServiceSpec& spec, bool dry_run, AksConfig* config);
};

// The fields `show` prints, from an ARM managedCluster body, merged into `info`.
void MergeClusterState(const nlohmann::json& cluster, nlohmann::json* info);
// cluster.json as the typed description the host prints.
ComputeDescription DescriptionOf(const nlohmann::json& info);

}  // namespace skiff::compute_aks
