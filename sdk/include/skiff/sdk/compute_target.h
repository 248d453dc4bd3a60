// SPDX-License-Identifier: Apache-2.0
// Compute targets (mirrors azureml.core.compute): where services run. A
// target's type is the name of the compute plugin that drives it
// (libskiff_compute_<type>.so: `local`, `aks`, or any other installed one);
// the SDK knows no plugin's options or files.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "skiff/compute_target.h"
#include "skiff/sdk/workspace.h"
#include "skiff/store/records.h"

namespace skiff::sdk {

class ComputeTarget {
 public:
  // Registers a target of `type` ("local", ...) and provisions it through
  // its plugin. kAlreadyExists for a taken name.
  static StatusOr<ComputeTarget> create(const Workspace& ws, const std::string& name,
                                        const std::string& type,
                                        const std::string& config_json = "{}");
  // Registers existing infrastructure of `type` and attaches it through its
  // plugin; the record is removed again when the attach fails.
  static StatusOr<ComputeTarget> attach(const Workspace& ws, const std::string& name,
                                        const std::string& type, const std::string& config_json);
  static StatusOr<ComputeTarget> get(const Workspace& ws, const std::string& name);
  static StatusOr<std::vector<ComputeTarget>> list(const Workspace& ws);
  // Deletes the target (refused while a service runs on it). The record is
  // restored when the plugin fails to delete the infrastructure.
  Status delete_target() const;
  // Forgets the target: removes the record, then the plugin drops its local
  // link; the infrastructure is left alone.
  Status detach() const;
  // What the plugin knows about the infrastructure (ComputeTarget::Describe;
  // no network): state, error, properties, warnings.
  StatusOr<ComputeDescription> describe() const;
  // Re-reads the infrastructure's state through the plugin
  // (ComputeTarget::Refresh; AKS: GET the cluster from ARM; a local target
  // has nothing to refresh). With `wait`, waits until it is Succeeded,
  // Failed or Canceled, printing progress when `show_output` (Azure ML's
  // wait_for_completion(show_output=True)), and fetches what a `--no-wait`
  // create left out. Updates the record's state.
  Status refresh(bool wait = false, bool show_output = false);
  Status wait_for_completion(bool show_output = false) { return refresh(true, show_output); }

  const std::string& name() const { return record_.name; }
  const std::string& type() const { return record_.type; }
  const store::ComputeTargetRecord& record() const { return record_; }

  // The plugin object driving this target. Threading: see skiff::ComputeTarget.
  StatusOr<std::shared_ptr<skiff::ComputeTarget>> plugin() const;
  // For `--dry-run` (aks targets only): a plugin object whose DeployService /
  // UpdateService write the rendered Kubernetes objects as YAML to
  // `output_path` and contact nothing. kUnimplemented for other types.
  StatusOr<std::shared_ptr<skiff::ComputeTarget>> dry_run_plugin(
      const std::string& output_path) const;

 private:
  ComputeTarget(Workspace ws, store::ComputeTargetRecord record)
      : ws_(std::move(ws)), record_(std::move(record)) {}
  // What create() and attach() share: checks the name, makes the plugin and
  // stores the record in `state`; the caller then provisions or attaches.
  static StatusOr<std::pair<ComputeTarget, std::shared_ptr<skiff::ComputeTarget>>> Register(
      const Workspace& ws, const std::string& name, const std::string& type,
      const std::string& config_json, const std::string& state);
  Workspace ws_;
  store::ComputeTargetRecord record_;
};

// azureml.core.compute.LocalCompute-style helper: the embedded local target.
struct LocalCompute {
  // `address`: the IPv4 or IPv6 literal every service of the target listens
  // on (default 127.0.0.1; "0.0.0.0" serves other machines, over plain HTTP
  // unless the target has a certificate, below).
  static StatusOr<ComputeTarget> create(const Workspace& ws, const std::string& name,
                                        const std::string& address = "") {
    return create(ws, name, address, Ssl{});
  }
  // TLS for every service of the target (the aks target's names): scoring
  // URIs become https://CNAME:PORT/... (the listen address without a CNAME).
  // The files are read by the servers, never copied; the key must be 0600.
  struct Ssl {
    std::string cname, cert_pem_file, key_pem_file;
  };
  static StatusOr<ComputeTarget> create(const Workspace& ws, const std::string& name,
                                        const std::string& address, const Ssl& ssl) {
    nlohmann::json config = nlohmann::json::object();
    if (!address.empty()) config["address"] = address;
    if (!ssl.cname.empty()) config["sslCname"] = ssl.cname;
    if (!ssl.cert_pem_file.empty()) config["sslCertPemFile"] = ssl.cert_pem_file;
    if (!ssl.key_pem_file.empty()) config["sslKeyPemFile"] = ssl.key_pem_file;
    return ComputeTarget::create(ws, name, "local", config.dump());
  }
};

// --- AKS (plugins/compute-aks) -------------------------------------------
// azureml.core.compute.AksCompute-style helpers: they only build the
// config JSON (docs/compute-aks.md); the plugin validates it.
struct AksCompute {
  // Parameter names follow AksCompute.provisioning_configuration().
  struct ProvisioningConfiguration {
    std::string subscription_id, resource_group, location;
    int agent_count = 3;
    std::string vm_size = "Standard_D3_v2";
    int vcpus = 0;  // 0: from the plugin's VM size table
    std::string cluster_purpose = "FastProd";
    std::string load_balancer_type = "PublicIp";
    std::string load_balancer_subnet;
    std::string ssl_cname, ssl_cert_pem_file, ssl_key_pem_file;
    // Azure ML's Microsoft-issued certificate; passed on so the plugin can
    // refuse it with the alternative (your own certificate, above).
    std::string ssl_leaf_domain_label;
    std::string cluster_name;  // empty: the target's name
    // Where the pods pull images from: an ACR name (granted AcrPull) or a
    // registry host (docs/compute-aks.md); empty: none.
    std::string registry;
    std::string registry_config;  // docker config.json for a non-ACR registry
    bool wait = true;
    bool show_output = false;
  };
  static std::string provisioning_configuration(const ProvisioningConfiguration& c);
  // AksCompute.attach_configuration(resource_group, cluster_name, resource_id, cluster_purpose).
  static std::string attach_configuration(const std::string& resource_group,
                                          const std::string& cluster_name,
                                          const std::string& resource_id,
                                          const std::string& cluster_purpose = "FastProd",
                                          const std::string& subscription_id = "",
                                          bool show_output = false,
                                          const std::string& registry = "",
                                          const std::string& registry_config = "");
};

// --- any Kubernetes cluster (plugins/compute-aks, the "kubernetes" plugin) --
// The config JSON for `ComputeTarget::attach(ws, name, "kubernetes", ...)`:
// the cluster of `kubeconfig` (an absolute path, read at each use) and
// `context` ("" : its current-context); no Azure Resource Manager.
struct KubernetesCompute {
  static std::string attach_configuration(const std::string& kubeconfig,
                                          const std::string& context = "",
                                          const std::string& cluster_purpose = "FastProd",
                                          bool show_output = false,
                                          const std::string& registry = "",
                                          const std::string& registry_config = "");
};

}  // namespace skiff::sdk
