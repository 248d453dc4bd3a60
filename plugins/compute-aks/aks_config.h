// SPDX-License-Identifier: Apache-2.0
// The AKS target's configuration: the compute record's config_json, which
// is also the plugin's create() options. Azure ML's
// AksCompute.provisioning_configuration() / attach_configuration() in JSON:
//
//   {"configType": "provisioning",            // default
//    "subscriptionId": "...", "resourceGroup": "...", "location": "eastus",
//    "clusterName": "...",                     // default: the target's name
//    "agentCount": 3, "vmSize": "Standard_D3_v2", "vcpus": 4,
//    "clusterPurpose": "FastProd" | "DevTest",
//    "loadBalancerType": "PublicIp" | "InternalLoadBalancer",
//    "loadBalancerSubnet": "aks-subnet",
//    "sslCname": "...", "sslCertPemFile": "...", "sslKeyPemFile": "...",
//    "kubernetesVersion": "", "dnsPrefix": "",
//    "wait": true, "showOutput": false,
//    "registry": "myacr" | "reg.example:5000", // registry_ref.h; both config types
//    "kubernetes": {...}}                      // k8s/render_options.h; both config types
//
//   {"configType": "attach", "resourceId": "/subscriptions/...",
//    (or "subscriptionId" + "resourceGroup" + "clusterName")
//    "clusterPurpose": "FastProd", "registry": "myacr", "showOutput": false}
//
//   {"configType": "kubeconfig",              // the "kubernetes" plugin's only type
//    "kubeconfig": "/abs/path/config", "context": "",   // "" : current-context
//    "clusterPurpose": "FastProd", "registry": "reg.example:5000",
//    "registryConfig": "...", "kubernetes": {...}, "showOutput": false}
//   Any Kubernetes cluster, reached through the user's kubeconfig (read at
//   each use, as kubectl does, so a refreshed file is picked up); no ARM.
//
// Both: the host adds `targetName` and `workspaceDir` (compute_target.h's
// kComputeOption*), never stored. A refresh is ComputeTarget::Refresh() on
// the target made from the stored config.
//
// Everything here is checked without touching the network (docs/compute-aks.md).
#pragma once

#include <string>
#include <vector>

#include "arm/resource_id.h"
#include "k8s/render_options.h"
#include "registry_ref.h"
#include "skiff/status.h"

namespace skiff::compute_aks {

struct AksProvisioningConfig {
  std::string subscription_id;
  std::string resource_group;
  std::string location;
  std::string cluster_name;  // empty: the target's name
  int agent_count = 3;
  std::string vm_size = "Standard_D3_v2";
  int vcpus = 0;  // 0: from the VM size table
  std::string cluster_purpose = "FastProd";
  std::string load_balancer_type = "PublicIp";
  std::string load_balancer_subnet;
  std::string ssl_cname, ssl_cert_pem_file, ssl_key_pem_file;
  std::string kubernetes_version;
  std::string dns_prefix;
  bool wait = true;
};

struct AksAttachConfig {
  ClusterRef cluster;
  std::string cluster_purpose = "FastProd";
};

// configType "kubeconfig": the cluster is the kubeconfig's (context's).
struct KubeconfigAttachConfig {
  std::string kubeconfig;  // absolute path, read at each use
  std::string context;     // "" : the file's current-context
};

struct AksConfig {
  bool is_attach = false;       // attach and kubeconfig
  bool is_kubeconfig = false;   // kubeconfig: no ARM at all (attach.cluster is empty)
  KubeconfigAttachConfig kubeconfig;  // when is_kubeconfig
  AksProvisioningConfig provisioning;  // when !is_attach
  AksAttachConfig attach;              // when is_attach
  bool show_output = false;
  // `registry`: where the pods' images come from; for an ACR, create and
  // attach grant the cluster AcrPull on it before the target is recorded.
  RegistryRef registry;
  // `registryConfig` (--registry-config): the docker config.json with the
  // credentials for a `registry` that is not an ACR; "" : $DOCKER_CONFIG or
  // ~/.docker/config.json. Read at create/attach only (registry_pull_secret.h).
  std::string registry_config;
  // `kubernetes`: image, FPGA resource name, model claim (docs/kubernetes.md).
  k8s::RenderOptions kubernetes;
  // `dryRunOutput`: not stored in a record; the SDK adds it to the plugin's
  // create() options for `--dry-run`. Deploy/UpdateService then write the
  // rendered objects as YAML to this path and contact nothing.
  std::string dry_run_output;
  // The host keys (kComputeOptionTargetName/WorkspaceDir; never stored):
  // where the target's files are, for services on the cluster.
  std::string target_name, workspace_dir;
  std::vector<std::string> warnings;  // e.g. a DevTest cluster below 2 vCPUs
};

// Parses and validates; errors are one line naming the field.
StatusOr<AksConfig> ParseAksConfig(const std::string& config_json);
// The "kubernetes" plugin's options: configType defaults to (and must be)
// "kubeconfig".
StatusOr<AksConfig> ParseKubernetesConfig(const std::string& config_json);

// The 12-vCPU rule's wording, as Azure ML words it.
inline constexpr const char* kFastProdRule =
    "The number of nodes multiplied by the virtual machine's number of cores (vCPUs) must be "
    "greater than or equal to 12";

// `attach` with clusterPurpose FastProd: the 12-vCPU rule create enforces,
// over the attached cluster's agent pools as ARM reports them (`cluster`:
// the managedClusters GET body; vCPUs of each pool's vmSize from skiff's
// table). InvalidArgument naming the pools and the fix (--cluster-purpose
// DevTest) when they hold fewer than 12; OK when a pool's VM size is not in
// the table (its vCPUs are unknown, so the rule cannot be decided here).
Status CheckAttachedCapacity(const std::string& cluster_purpose, const std::string& cluster_json);

// Compute target names: 3-24 characters, letters, digits and '-', starting
// with a letter.
Status ValidateTargetName(const std::string& name);

}  // namespace skiff::compute_aks
