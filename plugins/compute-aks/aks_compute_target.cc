// SPDX-License-Identifier: Apache-2.0
#include "aks_compute_target.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "arm/acr_pull.h"
#include "arm/managed_cluster_body.h"
#include "cluster_files.h"
#include "image_publisher.h"
#include "k8s/cluster_settings.h"
#include "k8s/target_render.h"
#include "registry_pull_secret.h"
#include "skiff/config/deployment_config.h"
#include "skiff/util/base64.h"
#include "skiff/util/url.h"
#include "skiff/util/file.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;

// Nothing may unwind out of the plugin: a throw (nlohmann, std::bad_alloc)
// becomes kInternal.
template <typename F>
Status Guarded(const char* what, F f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Internal(std::string(what) + ": unexpected error: " + e.what());
  } catch (...) {
    return Internal(std::string(what) + ": unexpected error");
  }
}

Status CheckReadable(const std::string& path, const char* field) {
  std::ifstream in(path);
  if (!in)
    return InvalidArgument(std::string("aks config: `") + field + "` '" + path +
                           "' cannot be read");
  return OkStatus();
}

// The certificate chain and key the front door serves, as PEM. Only their
// shape is checked here; skiff-server checks the pair when it loads it.
StatusOr<TlsPair> ReadTlsFiles(const AksProvisioningConfig& c) {
  TlsPair pair;
  SKIFF_ASSIGN_OR_RETURN(pair.cert_pem, ReadFile(c.ssl_cert_pem_file));
  SKIFF_ASSIGN_OR_RETURN(pair.key_pem, ReadFile(c.ssl_key_pem_file));
  if (pair.cert_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return InvalidArgument("aks config: `sslCertPemFile` '" + c.ssl_cert_pem_file +
                           "' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  if (pair.key_pem.find("PRIVATE KEY-----") == std::string::npos) {
    return InvalidArgument("aks config: `sslKeyPemFile` '" + c.ssl_key_pem_file +
                           "' holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)");
  }
  return pair;
}

// A service with auth behind a public load balancer without TLS: every
// request's key or token crosses the internet in clear text.
std::optional<std::string> PlainHttpAuthWarning(const ServiceSpec& spec,
                                                const k8s::ClusterSettings& cluster) {
  auto dc = config::ParseDeploymentConfig(spec.deployment_config_json);
  const bool auth = dc.ok() && (dc->auth_enabled || dc->token_auth_enabled);
  if (!auth || !cluster.ssl_cname.empty() || cluster.load_balancer_type != "PublicIp") {
    return std::nullopt;
  }
  return "service '" + spec.name +
         "' takes keys or tokens over plain HTTP on a public load balancer; create the target "
         "with --ssl-cname, --ssl-cert-file and --ssl-key-file for https (docs/compute-aks.md)";
}

json BaseInfo(const ComputeSpec& spec, const ClusterRef& ref, bool attached,
              const std::string& purpose) {
  return json{{"name", spec.name},
              {"computeType", "AKS"},
              {"resourceId", ref.Id()},
              {"subscriptionId", ref.subscription_id},
              {"resourceGroup", ref.resource_group},
              {"clusterName", ref.name},
              {"attached", attached},
              {"clusterPurpose", purpose}};
}

}  // namespace

constexpr int64_t kMaxPoolCount = 100000;

namespace {

// Version pods serve without auth behind the rendered NetworkPolicy
// (docs/kubernetes.md), which only a policy engine enforces. Clusters skiff
// creates get one (managed_cluster_body.cc); an attached one may not have it.
std::optional<std::string> NetworkPolicyWarning(const json& cluster, const std::string& name) {
  const json::json_pointer pointer("/properties/networkProfile/networkPolicy");
  const json policy = cluster.is_object() && cluster.contains(pointer) ? cluster.at(pointer) : json();
  if (policy.is_string() && !policy.get<std::string>().empty() && policy != "none") {
    return std::nullopt;
  }
  return "AKS cluster " + name +
         " enforces no NetworkPolicy (networkProfile.networkPolicy is not set): any pod in the "
         "cluster can score a version without a key; enable Azure or Calico network policy "
         "(docs/kubernetes.md)";
}

}  // namespace

void MergeClusterState(const json& cluster, json* info) {
  if (!cluster.is_object()) return;
  if (cluster.contains("location") && cluster["location"].is_string()) {
    (*info)["location"] = cluster["location"];
  }
  if (!cluster.contains("properties") || !cluster["properties"].is_object()) return;
  const json& p = cluster["properties"];
  for (const char* key : {"provisioningState", "fqdn"}) {
    if (p.contains(key) && p[key].is_string()) (*info)[key] = p[key];
  }
  for (const char* key : {"currentKubernetesVersion", "kubernetesVersion"}) {
    if (p.contains(key) && p[key].is_string() && !p[key].get<std::string>().empty()) {
      (*info)["kubernetesVersion"] = p[key];
      break;
    }
  }
  if (p.contains("agentPoolProfiles") && p["agentPoolProfiles"].is_array()) {
    int64_t nodes = 0;
    for (const json& pool : p["agentPoolProfiles"]) {
      // A plausible count only (AKS allows 1000 nodes a pool): summing what
      // a broken or hostile reply sends could overflow (fuzz/arm_cluster_state).
      if (pool.contains("count") && pool["count"].is_number_integer() && pool["count"] >= 0 &&
          pool["count"] <= kMaxPoolCount) {
        nodes += pool["count"].get<int64_t>();
      }
      if (!info->contains("vmSize") && pool.contains("vmSize") && pool["vmSize"].is_string()) {
        (*info)["vmSize"] = pool["vmSize"];
      }
    }
    (*info)["agentCount"] = nodes;
  }
}

StatusOr<std::unique_ptr<AksComputeTarget>> AksComputeTarget::Create(AksTargetOptions options) {
  if (!options.clock) options.clock = RealClock();
  if (!options.env) options.env = ProcessEnv();
  if (!options.progress && options.config.show_output) {
    options.progress = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
      std::fflush(stderr);
    };
  }
  return std::unique_ptr<AksComputeTarget>(new AksComputeTarget(std::move(options)));
}

AksComputeTarget::AksComputeTarget(AksTargetOptions options) : options_(std::move(options)) {}
AksComputeTarget::~AksComputeTarget() = default;

void AksComputeTarget::Progress(const std::string& line) const {
  // `skiff --only-show-errors` sets SKIFF_ONLY_SHOW_ERRORS=1 (as --debug
  // sets SKIFF_DEBUG): warnings are dropped, progress and errors are not.
  if (line.rfind("warning: ", 0) == 0 && options_.env("SKIFF_ONLY_SHOW_ERRORS") == "1") return;
  if (options_.progress) options_.progress(line);
}

StatusOr<ArmClient*> AksComputeTarget::Arm() {
  std::lock_guard<std::mutex> lock(mu_);
  if (arm_) return arm_.get();
  SKIFF_ASSIGN_OR_RETURN(AzureCredentials credentials, AzureCredentials::FromEnv(options_.env));
  DebugCredentialChoice(credentials);
  auto transport = options_.transport;
  if (!transport) {
    net::HttpClientOptions transport_options;
    transport_options.ca_file = credentials.ca_file;
    transport = MakeHttpClientTransport(transport_options);
  }
  auto sender = std::make_shared<RetrySender>(transport, options_.clock, options_.retry);
  const std::string endpoint = credentials.arm_endpoint;
  auto tokens = std::make_shared<TokenSource>(std::move(credentials), sender,
                                              options_.metadata_transport);
  arm_ = std::make_unique<ArmClient>(endpoint, std::move(tokens), std::move(sender));
  return arm_.get();
}

Status AksComputeTarget::FetchKubeconfig(ArmClient& arm, const ComputeSpec& spec,
                                         const ClusterRef& ref) {
  const std::string what = "listClusterUserCredential for " + ref.name;
  SKIFF_ASSIGN_OR_RETURN(HttpResponse r,
                         arm.Call("POST", ref.Path(kApiVersion, "listClusterUserCredential")));
  if (r.status != 200) return ArmError(r, what);
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("kubeconfigs") || !j["kubeconfigs"].is_array() ||
      j["kubeconfigs"].empty() || !j["kubeconfigs"][0].contains("value") ||
      !j["kubeconfigs"][0]["value"].is_string()) {
    return DataLoss(what + ": the reply has no kubeconfigs[0].value");
  }
  auto kubeconfig = Base64Decode(j["kubeconfigs"][0]["value"].get<std::string>(),
                                 Base64Alphabet::kStandard, Base64Whitespace::kSkipAsciiWhitespace);
  if (!kubeconfig) {
    return DataLoss(what +
                    ": kubeconfigs[0].value is not canonical padded base64 (RFC 4648 "
                    "section 4)");
  }
  return WriteKubeconfig(spec.workspace_dir, spec.name, *kubeconfig);
}

Status AksComputeTarget::Provision(const ComputeSpec& spec) {
  return Guarded("aks provision", [&] { return ProvisionImpl(spec); });
}
Status AksComputeTarget::Attach(const ComputeSpec& spec) {
  return Guarded("aks attach", [&] { return AttachImpl(spec); });
}
Status AksComputeTarget::Delete(const ComputeSpec& spec) {
  return Guarded("aks delete", [&] { return DeleteImpl(spec); });
}

Status AksComputeTarget::Detach(const ComputeSpec& spec) {
  return Guarded("aks detach", [&]() -> Status {
    if (spec.workspace_dir.empty())
      return InvalidArgument("compute spec: `workspace_dir` is empty");
    if (spec.name.empty()) return InvalidArgument("compute spec: `name` is empty");
    SKIFF_RETURN_IF_ERROR(RevokePull(spec));
    return RemoveClusterFiles(spec.workspace_dir, spec.name);
  });
}

// The AcrPull grant create/attach made goes with the target: the cluster
// stays (detach) or goes (delete), and either way skiff no longer speaks
// for it. Before the files: a refused DELETE leaves the target as it was.
Status AksComputeTarget::RevokePull(const ComputeSpec& spec) {
  auto info = ReadClusterInfo(spec.workspace_dir, spec.name);
  if (!info.ok() || !info->contains(kAcrPullAssignmentKey) ||
      !(*info)[kAcrPullAssignmentKey].is_string()) {
    return OkStatus();
  }
  const std::string id = (*info)[kAcrPullAssignmentKey].get<std::string>();
  SKIFF_ASSIGN_OR_RETURN(ArmClient * arm, Arm());
  Progress("Removing the AcrPull role assignment skiff made on " + info->value("registry", ""));
  return RevokeAcrPull(*arm, id);
}

Status AksComputeTarget::ProvisionImpl(const ComputeSpec& spec) {
  SKIFF_RETURN_IF_ERROR(ValidateTargetName(spec.name));
  if (spec.workspace_dir.empty()) return InvalidArgument("compute spec: `workspace_dir` is empty");
  const AksConfig& config = options_.config;
  if (config.is_attach) {
    return FailedPrecondition("compute target '" + spec.name +
                              "' has an attach configuration; attach it instead of creating it");
  }
  const AksProvisioningConfig& c = config.provisioning;
  std::optional<TlsPair> tls;
  if (!c.ssl_cert_pem_file.empty()) {
    SKIFF_RETURN_IF_ERROR(CheckReadable(c.ssl_cert_pem_file, "sslCertPemFile"));
    SKIFF_RETURN_IF_ERROR(CheckReadable(c.ssl_key_pem_file, "sslKeyPemFile"));
    SKIFF_ASSIGN_OR_RETURN(tls, ReadTlsFiles(c));
  }
  const ClusterRef ref{c.subscription_id, c.resource_group,
                       c.cluster_name.empty() ? spec.name : c.cluster_name};
  if (auto holder = FindTargetLinking(spec.workspace_dir, ref.Id(), spec.name)) {
    return AlreadyExists("AKS cluster " + ref.Id() + " is already linked as compute target '" +
                         *holder + "'");
  }
  for (const auto& w : config.warnings) Progress("warning: " + w);
  SKIFF_ASSIGN_OR_RETURN(ArmClient * arm, Arm());
  // Before anything is created: a registry that is not there refuses the
  // create (InvalidArgument, so no record and no cluster are left).
  std::string registry_id, pull_secret;
  if (config.registry.is_acr()) {
    SKIFF_ASSIGN_OR_RETURN(registry_id, FindRegistryId(*arm, ref, config.registry.acr_name));
  } else if (!config.registry.empty()) {
    SKIFF_ASSIGN_OR_RETURN(pull_secret,
                           PullSecretFromDockerConfig(config.registry, config.registry_config));
  }

  const std::string path = ref.Path(kApiVersion);
  Progress("Creating AKS cluster " + ref.name + " in " + c.location + " (" +
           std::to_string(c.agent_count) + " x " + c.vm_size + ", " + c.cluster_purpose + ")");
  SKIFF_ASSIGN_OR_RETURN(HttpResponse put,
                         arm->Call("PUT", path, ManagedClusterBody(c, ref.name).dump()));
  if (put.status != 200 && put.status != 201 && put.status != 202) {
    return ArmError(put, "PUT managedClusters/" + ref.name);
  }
  json info = BaseInfo(spec, ref, false, c.cluster_purpose);
  info["loadBalancerType"] = c.load_balancer_type;
  if (!c.load_balancer_subnet.empty()) info["loadBalancerSubnet"] = c.load_balancer_subnet;
  if (!c.ssl_cname.empty()) info["sslCname"] = c.ssl_cname;
  info["warnings"] = config.warnings;
  info["provisioningState"] = "Creating";
  info["agentCount"] = c.agent_count;
  info["vmSize"] = c.vm_size;
  info["location"] = c.location;
  MergeClusterState(json::parse(put.body, nullptr, false), &info);
  SKIFF_RETURN_IF_ERROR(WriteClusterInfo(spec.workspace_dir, spec.name, info));
  // Copies the router's TLS Secret is rendered from at every deploy: the
  // files given at create may move; these stay with the target (0600).
  if (tls) SKIFF_RETURN_IF_ERROR(WriteTlsPair(spec.workspace_dir, spec.name, *tls));
  if (!c.wait) {
    Progress("Not waiting (--no-wait): the cluster is being created in Azure");
    return OkStatus();
  }
  auto done = FollowOperation(*arm, "PUT", path, put, options_.lro, options_.progress);
  if (!done.ok()) {
    if (done.status().code() != StatusCode::kDeadlineExceeded) {
      info["provisioningState"] =
          done.status().code() == StatusCode::kCancelled ? "Canceled" : "Failed";
    }
    info["error"] = done.status().message();
    SKIFF_RETURN_IF_ERROR(WriteClusterInfo(spec.workspace_dir, spec.name, info));
    return done.status();
  }
  MergeClusterState(json::parse(done->body, nullptr, false), &info);
  info["provisioningState"] = "Succeeded";
  SKIFF_RETURN_IF_ERROR(AllowPull(*arm, ref, registry_id, info));
  if (!pull_secret.empty()) {
    SKIFF_RETURN_IF_ERROR(WriteRegistryAuth(spec.workspace_dir, spec.name, pull_secret));
  }
  SKIFF_RETURN_IF_ERROR(FetchKubeconfig(*arm, spec, ref));
  SKIFF_RETURN_IF_ERROR(WriteClusterInfo(spec.workspace_dir, spec.name, info));
  Progress("AKS cluster " + ref.name + " is ready");
  return OkStatus();
}

Status AksComputeTarget::AllowPull(ArmClient& arm, const ClusterRef& ref,
                                   const std::string& registry_id, json& info) {
  const RegistryRef& registry = options_.config.registry;
  if (registry.empty()) return OkStatus();
  if (registry.is_acr()) {
    // The operation's final body may omit identityProfile; the cluster's own
    // GET always carries it once the cluster has Succeeded.
    SKIFF_ASSIGN_OR_RETURN(HttpResponse got, arm.Call("GET", ref.Path(kApiVersion)));
    if (got.status != 200) return ArmError(got, "GET managedClusters/" + ref.name);
    SKIFF_ASSIGN_OR_RETURN(const std::string principal, KubeletObjectId(got.body));
    Progress("Granting AKS cluster " + ref.name + " AcrPull on " + registry.host);
    SKIFF_ASSIGN_OR_RETURN(const std::string assignment,
                           GrantAcrPull(arm, ref.subscription_id, registry_id, principal));
    if (!assignment.empty()) info[kAcrPullAssignmentKey] = assignment;
  }
  info["registry"] = registry.host;
  return OkStatus();
}

StatusOr<std::unique_ptr<kube::KubeClient>> AksComputeTarget::KubeconfigClient(
    kube::Kubeconfig* loaded) {
  const KubeconfigAttachConfig& k = options_.config.kubeconfig;
  kube::KubeconfigOptions kubeconfig_options;
  kubeconfig_options.context = k.context;
  SKIFF_ASSIGN_OR_RETURN(kube::Kubeconfig config,
                         kube::LoadKubeconfig(k.kubeconfig, kubeconfig_options));
  if (loaded != nullptr) *loaded = config;
  kube::KubeClientOptions client_options;
  client_options.config = std::move(config);
  return kube::KubeClient::Create(std::move(client_options));
}

// A kubeconfig target: no ARM. The cluster is recorded only once it has
// answered an authenticated request with these credentials (an exec
// plugin has run), so a typo or an expired login leaves nothing behind.
Status AksComputeTarget::AttachKubeconfigImpl(const ComputeSpec& spec) {
  const AksConfig& config = options_.config;
  kube::Kubeconfig loaded;
  SKIFF_ASSIGN_OR_RETURN(auto client, KubeconfigClient(&loaded));
  auto version = client->ServerVersion();
  if (!version.ok()) {
    return version.status().WithContext("Kubernetes cluster " + loaded.server + " (context " +
                                        loaded.context + " of " + config.kubeconfig.kubeconfig +
                                        ")");
  }
  json info = {{"name", spec.name},
               {"computeType", "Kubernetes"},
               {"attached", true},
               {"clusterPurpose", config.attach.cluster_purpose},
               {"kubeconfig", config.kubeconfig.kubeconfig},
               {"context", loaded.context},
               {"server", loaded.server},
               {"provisioningState", "Succeeded"}};
  if (version->contains("gitVersion") && (*version)["gitVersion"].is_string()) {
    info["kubernetesVersion"] = (*version)["gitVersion"];
  }
  if (!config.registry.empty()) {
    SKIFF_ASSIGN_OR_RETURN(const std::string secret,
                           PullSecretFromDockerConfig(config.registry, config.registry_config));
    SKIFF_RETURN_IF_ERROR(WriteRegistryAuth(spec.workspace_dir, spec.name, secret));
    info["registry"] = config.registry.host;
  }
  SKIFF_RETURN_IF_ERROR(WriteClusterInfo(spec.workspace_dir, spec.name, info));
  Progress("Attached Kubernetes cluster " + loaded.server + " (context " + loaded.context +
           ") as '" + spec.name + "'");
  return OkStatus();
}

Status AksComputeTarget::AttachImpl(const ComputeSpec& spec) {
  SKIFF_RETURN_IF_ERROR(ValidateTargetName(spec.name));
  if (spec.workspace_dir.empty()) return InvalidArgument("compute spec: `workspace_dir` is empty");
  const AksConfig& config = options_.config;
  if (config.is_kubeconfig) return AttachKubeconfigImpl(spec);
  if (!config.is_attach) {
    return FailedPrecondition("compute target '" + spec.name +
                              "' has a provisioning configuration; create it instead of attaching");
  }
  const ClusterRef& ref = config.attach.cluster;
  if (auto holder = FindTargetLinking(spec.workspace_dir, ref.Id(), spec.name)) {
    return AlreadyExists("AKS cluster " + ref.Id() + " is already attached as compute target '" +
                         *holder + "'; detach it first (skiff computetarget detach -n " + *holder +
                         ")");
  }
  SKIFF_ASSIGN_OR_RETURN(ArmClient * arm, Arm());
  SKIFF_ASSIGN_OR_RETURN(HttpResponse got, arm->Call("GET", ref.Path(kApiVersion)));
  if (got.status == 404) {
    return NotFound("AKS cluster " + ref.Id() +
                    " does not exist or is not visible to these credentials (" +
                    ArmErrorDetail(got.body) + ")");
  }
  if (got.status != 200) return ArmError(got, "GET managedClusters/" + ref.name);
  SKIFF_RETURN_IF_ERROR(CheckAttachedCapacity(config.attach.cluster_purpose, got.body));
  json info = BaseInfo(spec, ref, true, config.attach.cluster_purpose);
  const json cluster = json::parse(got.body, nullptr, false);
  MergeClusterState(cluster, &info);
  if (auto warning = NetworkPolicyWarning(cluster, ref.name)) {
    Progress("warning: " + *warning);
    if (!info.contains("warnings") || !info["warnings"].is_array()) info["warnings"] = json::array();
    info["warnings"].push_back(*warning);
  }
  if (config.registry.is_acr()) {
    SKIFF_ASSIGN_OR_RETURN(const std::string registry_id,
                           FindRegistryId(*arm, ref, config.registry.acr_name));
    SKIFF_ASSIGN_OR_RETURN(const std::string principal, KubeletObjectId(got.body));
    Progress("Granting AKS cluster " + ref.name + " AcrPull on " + config.registry.host);
    SKIFF_ASSIGN_OR_RETURN(const std::string assignment,
                           GrantAcrPull(*arm, ref.subscription_id, registry_id, principal));
    if (!assignment.empty()) info[kAcrPullAssignmentKey] = assignment;
  }
  if (!config.registry.empty() && !config.registry.is_acr()) {
    SKIFF_ASSIGN_OR_RETURN(const std::string secret,
                           PullSecretFromDockerConfig(config.registry, config.registry_config));
    SKIFF_RETURN_IF_ERROR(WriteRegistryAuth(spec.workspace_dir, spec.name, secret));
  }
  if (!config.registry.empty()) info["registry"] = config.registry.host;
  SKIFF_RETURN_IF_ERROR(FetchKubeconfig(*arm, spec, ref));
  SKIFF_RETURN_IF_ERROR(WriteClusterInfo(spec.workspace_dir, spec.name, info));
  Progress("Attached AKS cluster " + ref.name + " as '" + spec.name + "'");
  return OkStatus();
}

Status AksComputeTarget::DeleteImpl(const ComputeSpec& spec) {
  if (spec.workspace_dir.empty()) return InvalidArgument("compute spec: `workspace_dir` is empty");
  ClusterRef ref;
  auto info = ReadClusterInfo(spec.workspace_dir, spec.name);
  if (options_.config.is_kubeconfig) {
    return FailedPrecondition("the Kubernetes cluster of '" + spec.name +
                              "' was attached from a kubeconfig; skiff never deletes it: detach "
                              "it instead (the cluster is left alone)");
  }
  if (info.ok() && info->value("attached", false)) {
    return FailedPrecondition("AKS cluster of '" + spec.name +
                              "' was attached, not created by skiff; detach it instead (the "
                              "cluster is left alone)");
  }
  if (info.ok() && info->contains("resourceId") && (*info)["resourceId"].is_string()) {
    SKIFF_ASSIGN_OR_RETURN(ref, ParseClusterId((*info)["resourceId"].get<std::string>()));
  } else if (!options_.config.is_attach) {
    const auto& c = options_.config.provisioning;
    ref = ClusterRef{c.subscription_id, c.resource_group,
                     c.cluster_name.empty() ? spec.name : c.cluster_name};
  } else {
    return FailedPrecondition("compute target '" + spec.name + "' links no cluster; detach it");
  }
  SKIFF_ASSIGN_OR_RETURN(ArmClient * arm, Arm());
  const std::string path = ref.Path(kApiVersion);
  Progress("Deleting AKS cluster " + ref.name);
  SKIFF_ASSIGN_OR_RETURN(HttpResponse del, arm->Call("DELETE", path));
  if (del.status == 202 || del.status == 201) {
    SKIFF_RETURN_IF_ERROR(
        FollowOperation(*arm, "DELETE", path, del, options_.lro, options_.progress).status());
  } else if (del.status != 200 && del.status != 204 && del.status != 404) {
    return ArmError(del, "DELETE managedClusters/" + ref.name);
  }
  Progress("AKS cluster " + ref.name + " deleted");
  SKIFF_RETURN_IF_ERROR(RevokePull(spec));
  return RemoveClusterFiles(spec.workspace_dir, spec.name);
}

namespace {
bool TerminalState(const std::string& state) {
  return state == "Succeeded" || state == "Failed" || state == "Canceled";
}
}  // namespace

ComputeDescription DescriptionOf(const json& info) {
  ComputeDescription d;
  if (!info.is_object()) return d;
  // A damaged file yields what is readable in it, never an exception.
  const auto text = [&info](const char* key) {
    auto it = info.find(key);
    return it != info.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  d.state = text("provisioningState");
  d.error = text("error");
  for (const char* key :
       {"kubernetesVersion", "agentCount", "vmSize", "clusterPurpose", "resourceId", "attached",
        "location", "fqdn", "loadBalancerType", "loadBalancerSubnet", "sslCname", "registry",
        "server", "context"}) {
    if (!info.contains(key)) continue;
    const json& v = info[key];
    if (v.is_string()) {
      d.properties.push_back({key, v.get<std::string>(), ComputeProperty::Kind::kText});
    } else if (v.is_boolean()) {
      d.properties.push_back({key, v.get<bool>() ? "true" : "false", ComputeProperty::Kind::kBool});
    } else if (v.is_number()) {
      d.properties.push_back({key, v.dump(), ComputeProperty::Kind::kNumber});
    }
  }
  if (info.contains("warnings") && info["warnings"].is_array()) {
    for (const json& w : info["warnings"]) {
      if (w.is_string()) d.warnings.push_back(w.get<std::string>());
    }
  }
  return d;
}

StatusOr<ComputeDescription> AksComputeTarget::Describe(const ComputeSpec& spec) {
  try {
    auto stored = ReadClusterInfo(spec.workspace_dir, spec.name);
    if (!stored.ok()) {
      return FailedPrecondition("compute target '" + spec.name + "' has no cluster.json under " +
                                spec.workspace_dir + "/compute/ (" + stored.status().message() +
                                "); detach and attach it again");
    }
    return DescriptionOf(*stored);
  } catch (const std::exception& e) {
    return Internal(std::string("aks describe: unexpected error: ") + e.what());
  }
}

StatusOr<ComputeDescription> AksComputeTarget::Refresh(const ComputeSpec& spec,
                                                       const RefreshOptions& options) {
  ProgressFn progress = options_.progress;
  if (!progress && options.show_output) {
    progress = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
      std::fflush(stderr);
    };
  }
  SKIFF_ASSIGN_OR_RETURN(json info,
                         RefreshInfo(spec.workspace_dir, spec.name, options.wait, progress));
  return DescriptionOf(info);
}

StatusOr<json> AksComputeTarget::RefreshInfo(const std::string& workspace_dir,
                                             const std::string& name, bool wait,
                                             const ProgressFn& progress) {
  try {
    auto stored = ReadClusterInfo(workspace_dir, name);
    if (!stored.ok()) {
      return FailedPrecondition("compute target '" + name + "' has no cluster.json under " +
                                workspace_dir + "/compute/ (" + stored.status().message() +
                                "); detach and attach it again");
    }
    json info = *stored;
    if (options_.config.is_kubeconfig) {
      // One authenticated look: the cluster answers with these credentials.
      SKIFF_ASSIGN_OR_RETURN(auto client, KubeconfigClient(nullptr));
      auto version = client->ServerVersion();
      if (!version.ok()) return version.status().WithContext("compute target '" + name + "'");
      if (version->contains("gitVersion") && (*version)["gitVersion"].is_string()) {
        info["kubernetesVersion"] = (*version)["gitVersion"];
      }
      info["provisioningState"] = "Succeeded";
      info.erase("error");
      SKIFF_RETURN_IF_ERROR(WriteClusterInfo(workspace_dir, name, info));
      return info;
    }
    SKIFF_ASSIGN_OR_RETURN(ClusterRef ref, ParseClusterId(info.value("resourceId", "")));
    SKIFF_ASSIGN_OR_RETURN(ArmClient * arm, Arm());
    const auto deadline = options_.clock->Now() + options_.lro.timeout;
    std::string state;
    for (;;) {
      SKIFF_ASSIGN_OR_RETURN(HttpResponse got, arm->Call("GET", ref.Path(kApiVersion)));
      if (got.status == 404) {
        info["provisioningState"] = "NotFound";
        info["error"] = "the cluster no longer exists in Azure";
        SKIFF_RETURN_IF_ERROR(WriteClusterInfo(workspace_dir, name, info));
        return NotFound("AKS cluster " + ref.Id() + " no longer exists (" +
                        ArmErrorDetail(got.body) + "); detach '" + name + "'");
      }
      if (got.status != 200) return ArmError(got, "GET managedClusters/" + ref.name);
      MergeClusterState(json::parse(got.body, nullptr, false), &info);
      state = info.value("provisioningState", "");
      if (!wait || TerminalState(state)) break;
      if (options_.clock->Now() >= deadline) {
        SKIFF_RETURN_IF_ERROR(WriteClusterInfo(workspace_dir, name, info));
        return DeadlineExceeded("AKS cluster " + ref.name + " is still " + state +
                                " after the wait limit; the operation continues in Azure");
      }
      if (progress) progress("AKS cluster " + ref.name + ": " + state);
      options_.clock->Sleep(options_.lro.default_interval);
    }
    if (state == "Succeeded") {
      info.erase("error");
      if (!KubeconfigExists(workspace_dir, name)) {
        SKIFF_RETURN_IF_ERROR(
            FetchKubeconfig(*arm, ComputeSpec{name, "aks", "", workspace_dir}, ref));
      }
    }
    SKIFF_RETURN_IF_ERROR(WriteClusterInfo(workspace_dir, name, info));
    if (wait && state != "Succeeded") {
      return Aborted("AKS cluster " + ref.name + " ended in state " + state);
    }
    return info;
  } catch (const std::exception& e) {
    return Internal(std::string("aks refresh: unexpected error: ") + e.what());
  }
}

// --dry-run (config `dryRunOutput`): render, write the YAML, contact nothing.
StatusOr<ServiceLifecycle*> AksComputeTarget::Services() {
  std::lock_guard<std::mutex> lock(mu_);
  if (services_) return services_.get();
  const AksConfig& c = options_.config;
  if (c.target_name.empty() || c.workspace_dir.empty()) {
    return FailedPrecondition(
        "the aks plugin was made without `targetName`/`workspaceDir`; "
        "services are deployed through the SDK or CLI");
  }
  SKIFF_ASSIGN_OR_RETURN(
      services_,
      ServiceLifecycle::Create(ClusterDir(c.workspace_dir, c.target_name), c.target_name,
                               c.is_kubeconfig ? c.kubeconfig.kubeconfig : "",
                               c.is_kubeconfig ? c.kubeconfig.context : ""));
  return services_.get();
}

namespace {

// This plugin module's folder (lib/skiff/plugins when installed or built).
std::string ModuleDir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&ModuleDir), &info) == 0 || info.dli_fname == nullptr) {
    return "";
  }
  return std::filesystem::path(info.dli_fname).parent_path().string();
}

// The skiff-server the images carry: <prefix>/bin beside <prefix>/lib/skiff/
// plugins (the build tree and a plain install), else the first on PATH (a
// multiarch libdir). The caller's SKIFF_SERVER_BINARY wins over both.
std::string ServerBesideModule(const std::string& module_dir, const EnvLookup& env) {
  namespace fs = std::filesystem;
  std::vector<std::string> candidates;
  if (!module_dir.empty()) {
    candidates.push_back(
        (fs::path(module_dir) / "../../../bin/skiff-server").lexically_normal().string());
  }
  std::stringstream path(env("PATH").value_or(""));
  for (std::string dir; std::getline(path, dir, ':');) {
    if (!dir.empty()) candidates.push_back(dir + "/skiff-server");
  }
  for (const std::string& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  // Not found: the image builder names this path in its error.
  return candidates.empty() ? std::string("skiff-server") : candidates.front();
}

}  // namespace

Status AksComputeTarget::PublishImagesFor(const ServiceSpec& spec, bool dry_run,
                                          AksConfig* config) {
  k8s::RenderOptions& k = config->kubernetes;
  if (k.image_given) return OkStatus();  // the user's own image
  if (config->registry.empty()) {
    Progress("warning: compute target '" + config->target_name +
             "' has no registry, so the pods run " + k.image +
             ", which must already be on the nodes or pullable anonymously; to build and push "
             "the images on deploy, detach and attach the target with --registry "
             "NAME_OR_HOST, or set `kubernetes.image` in its config (docs/kubernetes.md)");
    return OkStatus();
  }
  const EnvLookup& env = options_.env;
  ImagePublishOptions o;
  o.registry = config->registry;
  o.layout_dir = ClusterDir(config->workspace_dir, config->target_name) + "/images";
  o.push = !dry_run;
  o.with_models = k.model_source != k8s::kModelSourcePvc;
  const std::string module_dir = ModuleDir();
  o.skiff_server = env("SKIFF_SERVER_BINARY").value_or(ServerBesideModule(module_dir, env));
  std::stringstream dirs(env("SKIFF_PLUGIN_PATH").value_or(""));
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty()) o.plugin_dirs.push_back(dir);
  }
  if (!module_dir.empty()) o.plugin_dirs.push_back(module_dir);
  std::stringstream libs(env("SKIFF_IMAGE_INCLUDE_LIBS").value_or(""));
  for (std::string dir; std::getline(libs, dir, ':');) {
    if (!dir.empty()) o.include_library_dirs.push_back(dir);
  }
  o.progress = options_.progress;
  if (options_.progress && ::isatty(STDERR_FILENO)) {
    // A terminal: the blob being sent updates in place; a whole line first
    // clears it.
    o.live = [](const std::string& line) {
      std::fprintf(stderr, "\r  %s\x1b[K", line.c_str());
      std::fflush(stderr);
    };
    o.progress = [progress = options_.progress](const std::string& line) {
      std::fprintf(stderr, "\r\x1b[K");
      progress(line);
    };
  }
  const std::string host_only = o.registry.host.substr(0, o.registry.host.rfind(':'));
  // Docker's rule: a registry on this machine is spoken to in plain http.
  o.plain_http = IsLoopbackHost(host_only);
  o.ca_file = env("SKIFF_CA_FILE").value_or("");
  if (o.push && config->registry.is_acr()) {
    // The service principal ARM uses, exchanged at the registry (AcrPush).
    SKIFF_ASSIGN_OR_RETURN(ArmClient * arm, Arm());
    o.credentials.aad_access_token = [arm] { return arm->tokens().Token(); };
    o.credentials.tenant = env("AZURE_TENANT_ID").value_or("");
  } else if (o.push) {
    // The user's own push credentials: the docker config create/attach read.
    const bool given = !config->registry_config.empty();
    SKIFF_ASSIGN_OR_RETURN(o.credentials,
                           oci::CredentialsFromDockerConfig(
                               given ? config->registry_config : oci::DefaultDockerConfigPath(),
                               o.registry.host, given));
  }
  SKIFF_ASSIGN_OR_RETURN(PublishedImages images, PublishImages(spec, o));
  k.image = images.server;
  for (const auto& [sha, ref] : images.models) k.model_images[sha] = ref;
  return OkStatus();
}

Status AksComputeTarget::ApplyService(const ServiceSpec& spec) {
  const bool dry_run = !options_.config.dry_run_output.empty();
  AksConfig config = options_.config;  // the images of this deploy go into its copy
  SKIFF_RETURN_IF_ERROR(PublishImagesFor(spec, dry_run, &config));
  if (dry_run) return k8s::WriteDryRun(spec, config, config.dry_run_output);
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> objects, k8s::RenderForTarget(spec, config));
  SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
  if (auto warning = PlainHttpAuthWarning(spec, k8s::ClusterSettingsFrom(options_.config))) {
    Progress("warning: " + *warning);
  }
  Progress("Applying " + std::to_string(objects.size()) + " Kubernetes objects for '" + spec.name +
           "'");
  return services->Apply(spec.name, objects);
}

Status AksComputeTarget::DeployService(const ServiceSpec& spec) {
  return Guarded("aks deploy", [&] { return ApplyService(spec); });
}
Status AksComputeTarget::UpdateService(const ServiceSpec& spec) {
  return Guarded("aks update", [&] { return ApplyService(spec); });
}
Status AksComputeTarget::DeleteService(const std::string& service) {
  return Guarded("aks delete service", [&]() -> Status {
    SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
    return services->Delete(service);
  });
}
StatusOr<ServiceStatus> AksComputeTarget::GetState(const std::string& service) {
  try {
    SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
    return services->State(service);
  } catch (const std::exception& e) {
    return Internal(std::string("aks state: unexpected error: ") + e.what());
  }
}
StatusOr<ServiceStatus> AksComputeTarget::GetDetailedState(const std::string& service) {
  try {
    SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
    return services->State(service, /*count_restarts=*/true);
  } catch (const std::exception& e) {
    return Internal(std::string("aks state: unexpected error: ") + e.what());
  }
}
StatusOr<std::string> AksComputeTarget::GetLogs(const std::string& service, int32_t num_lines) {
  try {
    SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
    return services->Logs(service, num_lines);
  } catch (const std::exception& e) {
    return Internal(std::string("aks logs: unexpected error: ") + e.what());
  }
}

Status AksComputeTarget::FollowLogs(const std::string& service, int32_t num_lines,
                                    LogSink* sink) {
  try {
    SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
    return services->FollowLogs(service, num_lines, sink);
  } catch (const std::exception& e) {
    return Internal(std::string("aks logs: unexpected error: ") + e.what());
  }
}

StatusOr<std::map<std::string, std::string>> AksComputeTarget::ReadMetrics(
    const std::string& service) {
  try {
    SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
    return services->RouterMetrics(service);
  } catch (const std::exception& e) {
    return Internal(std::string("aks metrics: unexpected error: ") + e.what());
  }
}

Status AksComputeTarget::ReadExposureLog(const std::string& service, ExposureLogSink* sink) {
  try {
    SKIFF_ASSIGN_OR_RETURN(ServiceLifecycle * services, Services());
    return services->RouterExposureLogs(service, sink);
  } catch (const std::exception& e) {
    return Internal(std::string("aks exposure log: unexpected error: ") + e.what());
  }
}

}  // namespace skiff::compute_aks
