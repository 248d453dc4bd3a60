// SPDX-License-Identifier: Apache-2.0
// `skiff computetarget create|attach|detach|list|show|wait|delete` (mirrors
// `az ml computetarget`). What a target is beyond its record comes from its
// plugin (ComputeTarget::Describe/Refresh); the CLI reads no plugin's files.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "service_common.h"
#include "skiff/sdk/compute_target.h"
#include "skiff/util/file.h"
#include "skiff/util/url.h"

namespace skiff::cli {
namespace {

nlohmann::json PropertyJson(const ComputeProperty& p) {
  switch (p.kind) {
    case ComputeProperty::Kind::kBool:
      return p.value == "true";
    case ComputeProperty::Kind::kNumber: {
      nlohmann::json n = nlohmann::json::parse(p.value, nullptr, false);
      if (n.is_number()) return n;
      break;
    }
    case ComputeProperty::Kind::kText:
      break;
  }
  return p.value;
}

// The record, with what the target's plugin describes over it. A plugin
// that cannot be loaded or has nothing to say leaves the record as it is.
nlohmann::json TargetJson(const sdk::ComputeTarget& t) {
  nlohmann::json j = {{"name", t.name()},
                      {"computeType", t.type()},
                      {"provisioningState", t.record().state},
                      {"createdTime", t.record().created_time}};
  auto described = t.describe();
  if (!described.ok()) return j;
  if (!described->state.empty()) j["provisioningState"] = described->state;
  for (const ComputeProperty& p : described->properties) {
    if (!j.contains(p.name)) j[p.name] = PropertyJson(p);
  }
  if (!described->warnings.empty()) j["warnings"] = described->warnings;
  if (!described->error.empty()) j["error"] = described->error;
  return j;
}

std::string Field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

const std::vector<std::string> kColumns = {"NAME", "TYPE", "STATE", "NODES", "VM SIZE", "PURPOSE", "K8S"};

std::vector<std::string> Row(const nlohmann::json& j) {
  return {Field(j, "name"),    Field(j, "computeType"), Field(j, "provisioningState"),
          Field(j, "agentCount"), Field(j, "vmSize"),  Field(j, "clusterPurpose"),
          Field(j, "kubernetesVersion")};
}

// systemd quoting for one ExecStart word: double quotes when it has spaces.
std::string UnitWord(const std::string& word) {
  if (word.find_first_of(" \t\"\\") == std::string::npos) return word;
  std::string out = "\"";
  for (char c : word) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

// A oneshot unit that starts every service of the workspace again at boot.
// The supervisors stay in the unit's cgroup (RemainAfterExit), so stopping
// the unit SIGTERMs them and each drains its server.
void WriteSystemdUnit(const std::string& path, const std::string& workspace) {
  std::error_code ec;
  const std::string skiff = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) throw CliError("cannot find the skiff binary (/proc/self/exe): " + ec.message());
  const passwd* pw = ::getpwuid(::geteuid());
  const char* user = pw != nullptr ? pw->pw_name : nullptr;
  std::ostringstream unit;
  unit << "# Written by `skiff computetarget create local --systemd-unit`.\n"
       << "[Unit]\n"
       << "Description=skiff services of workspace " << workspace << "\n"
       << "Wants=network-online.target\n"
       << "After=network-online.target\n\n"
       << "[Service]\n"
       << "Type=oneshot\n"
       << "RemainAfterExit=yes\n";
  if (user != nullptr && *user != '\0') unit << "User=" << user << "\n";
  unit << "ExecStart=" << UnitWord(skiff) << " -w " << UnitWord(workspace)
       << " service start --all\n"
       << "# Each service waits for its models to load.\n"
       << "TimeoutStartSec=15min\n"
       << "TimeoutStopSec=60\n\n"
       << "[Install]\n"
       << "WantedBy=multi-user.target\n";
  std::ofstream out(path, std::ios::trunc);
  out << unit.str();
  out.close();
  if (!out) throw CliError("--systemd-unit: cannot write '" + path + "'; check the directory");
}

std::string AbsolutePathOrEmpty(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

struct AksCreateFlags {
  std::string name, subscription, resource_group, location, vm_size = "Standard_D3_v2";
  int agent_count = 3, vcpus = 0;
  std::string cluster_purpose = "FastProd", load_balancer_type = "PublicIp", load_balancer_subnet;
  std::string ssl_cname, ssl_cert, ssl_key, ssl_leaf_domain_label;
  std::string registry, registry_config;
  bool no_wait = false;
};

struct AksAttachFlags {
  std::string name, resource_id, subscription, resource_group, cluster_name;
  std::string cluster_purpose = "FastProd";
  std::string registry, registry_config;
};

// `--registry` and `--registry-config`, the same on create and attach aks.
void AddRegistryOptions(CLI::App* aks, std::string* registry, std::string* registry_config) {
  aks->add_option("--registry", *registry,
                  "Registry the pods pull from: an Azure Container Registry name (myacr; the "
                  "cluster is granted AcrPull) or another registry's host (reg.example:5000)");
  aks->add_option("--registry-config", *registry_config,
                  "docker config.json with the credentials for a --registry host other than an "
                  "ACR (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)")
      ->check(CLI::ExistingFile);
}

void AddAksCreate(CLI::App* create, GlobalOptions& options) {
  static AksCreateFlags f;
  CLI::App* aks = create->add_subcommand("aks", "Create an Azure Kubernetes Service cluster");
  aks->add_option("-n,--name", f.name, "Name of the compute target (3-24 characters)")->required();
  aks->add_option("--subscription,--subscription-id", f.subscription,
                  "Azure subscription ID (default: $AZURE_SUBSCRIPTION_ID)")
      ->envname("AZURE_SUBSCRIPTION_ID")->required();
  aks->add_option("-g,--resource-group", f.resource_group, "Resource group of the cluster")->required();
  aks->add_option("--location", f.location, "Azure region, e.g. eastus")->required();
  aks->add_option("--agent-count", f.agent_count, "Number of nodes (default 3)");
  aks->add_option("--vm-size", f.vm_size, "Node VM size (default Standard_D3_v2)");
  aks->add_option("--vcpus", f.vcpus, "vCPUs per node, for VM sizes skiff does not know");
  aks->add_option("--cluster-purpose", f.cluster_purpose, "FastProd (>= 12 vCPUs) or DevTest")
      ->check(CLI::IsMember({"FastProd", "DevTest"}));
  aks->add_option("--load-balancer-type", f.load_balancer_type, "PublicIp or InternalLoadBalancer")
      ->check(CLI::IsMember({"PublicIp", "InternalLoadBalancer"}));
  aks->add_option("--load-balancer-subnet", f.load_balancer_subnet,
                  "Subnet for an internal load balancer (a name, or a subnet resource ID)");
  aks->add_option("--ssl-cname", f.ssl_cname, "CNAME the SSL certificate is for");
  aks->add_option("--ssl-cert-file", f.ssl_cert, "PEM certificate file")->check(CLI::ExistingFile);
  aks->add_option("--ssl-key-file", f.ssl_key, "PEM key file")->check(CLI::ExistingFile);
  aks->add_option("--ssl-leaf-domain-label", f.ssl_leaf_domain_label,
                  "Azure ML's Microsoft-issued certificate: not supported (refused; use "
                  "--ssl-cert-file, --ssl-key-file and --ssl-cname)");
  aks->add_flag("--no-wait", f.no_wait, "Return once Azure has accepted the request");
  AddRegistryOptions(aks, &f.registry, &f.registry_config);
  AddOutputOption(aks, &options);
  aks->footer(
      "Example:\n  skiff computetarget create aks -n myaks --subscription $AZURE_SUBSCRIPTION_ID "
      "--resource-group my-rg --location eastus --agent-count 3 --vm-size Standard_D3_v2");
  aks->callback([&options] {
    sdk::AksCompute::ProvisioningConfiguration c;
    c.subscription_id = f.subscription;
    c.resource_group = f.resource_group;
    c.location = f.location;
    c.agent_count = f.agent_count;
    c.vm_size = f.vm_size;
    c.vcpus = f.vcpus;
    c.cluster_purpose = f.cluster_purpose;
    c.load_balancer_type = f.load_balancer_type;
    c.load_balancer_subnet = f.load_balancer_subnet;
    c.ssl_cname = f.ssl_cname;
    // Stored with the target and read by later commands from any directory.
    c.ssl_cert_pem_file = AbsolutePathOrEmpty(f.ssl_cert);
    c.ssl_key_pem_file = AbsolutePathOrEmpty(f.ssl_key);
    c.ssl_leaf_domain_label = f.ssl_leaf_domain_label;
    c.registry = f.registry;
    c.registry_config = AbsolutePathOrEmpty(f.registry_config);
    c.wait = !f.no_wait;
    c.show_output = true;  // progress lines on stderr while waiting
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::ComputeTarget::create(
        ws, f.name, "aks", sdk::AksCompute::provisioning_configuration(c)));
    auto json = TargetJson(target);
    Print(options, json, kColumns, {Row(json)});
  });
}

void AddAksAttach(CLI::App* group, GlobalOptions& options) {
  static AksAttachFlags f;
  CLI::App* attach = group->add_subcommand("attach", "Attach existing infrastructure");
  attach->require_subcommand(1);
  CLI::App* aks = attach->add_subcommand("aks", "Attach an existing AKS cluster");
  aks->add_option("-n,--name", f.name, "Name of the compute target (3-24 characters)")->required();
  aks->add_option("-i,--resource-id", f.resource_id,
                  "/subscriptions/{s}/resourceGroups/{rg}/providers/"
                  "Microsoft.ContainerService/managedClusters/{name}");
  aks->add_option("--subscription,--subscription-id", f.subscription,
                  "Azure subscription ID with --cluster-name (default: $AZURE_SUBSCRIPTION_ID; "
                  "with -i, the resource ID's)")
      ->envname("AZURE_SUBSCRIPTION_ID");
  aks->add_option("-g,--resource-group", f.resource_group, "Resource group of the cluster");
  aks->add_option("--cluster-name", f.cluster_name, "Name of the AKS cluster");
  aks->add_option("--cluster-purpose", f.cluster_purpose, "FastProd or DevTest")
      ->check(CLI::IsMember({"FastProd", "DevTest"}));
  AddRegistryOptions(aks, &f.registry, &f.registry_config);
  AddOutputOption(aks, &options);
  aks->footer(
      "Example:\n  skiff computetarget attach aks -n myaks -i /subscriptions/$AZURE_SUBSCRIPTION_ID/"
      "resourceGroups/my-rg/providers/Microsoft.ContainerService/managedClusters/my-cluster");
  aks->callback([&options] {
    if (f.resource_id.empty() == f.cluster_name.empty()) {
      throw CliError("give -i RESOURCE_ID, or --resource-group RG --cluster-name NAME", 2);
    }
    auto ws = OpenWorkspace(options);
    auto config = sdk::AksCompute::attach_configuration(
        f.resource_id.empty() ? f.resource_group : "", f.cluster_name, f.resource_id,
        f.cluster_purpose, f.resource_id.empty() ? f.subscription : "", true, f.registry,
        AbsolutePathOrEmpty(f.registry_config));
    auto target = ValueOrThrow(sdk::ComputeTarget::attach(ws, f.name, "aks", config));
    auto json = TargetJson(target);
    Print(options, json, kColumns, {Row(json)});
  });
}

// $KUBECONFIG's first file, else ~/.kube/config, as kubectl picks it.
std::string DefaultKubeconfig() {
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    const std::string list(env);
    return list.substr(0, list.find(':'));
  }
  const char* home = std::getenv("HOME");
  return home != nullptr ? std::string(home) + "/.kube/config" : "";
}

void AddKubernetesAttach(CLI::App* attach, GlobalOptions& options) {
  static std::string name, kubeconfig, context, cluster_purpose = "FastProd", registry,
                     registry_config;
  CLI::App* k8s = attach->add_subcommand(
      "kubernetes", "Attach any Kubernetes cluster through a kubeconfig (no Azure Resource Manager)");
  k8s->add_option("-n,--name", name, "Name of the compute target (3-24 characters)")->required();
  k8s->add_option("--kubeconfig", kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG's first file, else ~/.kube/config); "
                  "read again by every later command, so a refreshed file is picked up");
  k8s->add_option("--context", context, "Context to use (default: the file's current-context)");
  k8s->add_option("--cluster-purpose", cluster_purpose, "FastProd or DevTest")
      ->check(CLI::IsMember({"FastProd", "DevTest"}));
  k8s->add_option("--registry", registry,
                  "Registry host the pods pull from (reg.example:5000), with --registry-config");
  k8s->add_option("--registry-config", registry_config,
                  "docker config.json with the credentials for --registry (default "
                  "$DOCKER_CONFIG/config.json or ~/.docker/config.json)")
      ->check(CLI::ExistingFile);
  AddOutputOption(k8s, &options);
  k8s->footer(
      "Example:\n  skiff computetarget attach kubernetes -n onprem --kubeconfig ~/.kube/config "
      "--context prod\n  (kubeconfig exec plugins such as kubelogin are run as kubectl runs "
      "them)");
  k8s->callback([&options] {
    const std::string file = kubeconfig.empty() ? DefaultKubeconfig() : kubeconfig;
    if (file.empty()) throw CliError("give --kubeconfig FILE (HOME and KUBECONFIG are unset)", 2);
    if (!std::filesystem::exists(file)) {
      throw CliError("kubeconfig '" + file + "' does not exist; give --kubeconfig FILE", 2);
    }
    auto ws = OpenWorkspace(options);
    auto config = sdk::KubernetesCompute::attach_configuration(
        AbsolutePathOrEmpty(file), context, cluster_purpose, true, registry,
        AbsolutePathOrEmpty(registry_config));
    auto target = ValueOrThrow(sdk::ComputeTarget::attach(ws, name, "kubernetes", config));
    auto json = TargetJson(target);
    Print(options, json, kColumns, {Row(json)});
  });
}

}  // namespace

void AddComputeCommands(CLI::App& app, GlobalOptions& options) {
  CLI::App* group = app.add_subcommand("computetarget", "Manage compute targets");
  group->require_subcommand(1);

  CLI::App* create = group->add_subcommand("create", "Create a compute target");
  // `create local` and `create aks` have flags of their own; any other
  // installed compute plugin (libskiff_compute_<type>.so, see `skiff plugins
  // list`) is `create <type> -n NAME [--config FILE]`, its options as JSON.
  static std::string other_type, other_name, other_config;
  create->add_option("type", other_type,
                     "The compute plugin: local, aks, or another installed one");
  create->add_option("-n,--name", other_name, "Name of the compute target");
  create->add_option("--config", other_config, "JSON file with the plugin's options")
      ->check(CLI::ExistingFile);
  AddOutputOption(create, &options);
  create->footer("Example:\n  skiff computetarget create mycloud -n c1 --config c1.json");
  create->callback([&options, create] {
    if (!create->get_subcommands().empty()) return;  // local / aks ran
    if (other_type.empty()) {
      throw CliError(
          "give the target's type: local, aks, or another compute plugin "
          "(`skiff plugins list`)",
          2);
    }
    if (other_name.empty()) throw CliError("--name is required", 2);
    std::string config = "{}";
    if (!other_config.empty()) config = ValueOrThrow(skiff::ReadFile(other_config));
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::ComputeTarget::create(ws, other_name, other_type, config));
    auto json = TargetJson(target);
    Print(options, json, kColumns, {Row(json)});
  });
  static std::string local_name, local_address, local_unit;
  static std::string local_cname, local_cert, local_key;
  CLI::App* local = create->add_subcommand("local", "The built-in target: services run on this machine");
  local->add_option("-n,--name", local_name, "Name of the compute target")->required();
  local->add_option("--address", local_address,
                    "IP address its services listen on (default 127.0.0.1; 0.0.0.0 or :: serve "
                    "other machines, over plain HTTP)");
  local
      ->add_option("--ssl-cert-file", local_cert,
                   "PEM certificate (chain) its services serve https with; re-read when the "
                   "file changes")
      ->check(CLI::ExistingFile);
  local->add_option("--ssl-key-file", local_key, "PEM key of --ssl-cert-file (chmod 600)")
      ->check(CLI::ExistingFile);
  local->add_option("--ssl-cname", local_cname,
                    "Host name the certificate is for; scoring URIs use it (default: the "
                    "listen address)");
  local->add_option("--systemd-unit", local_unit,
                    "Also write a systemd unit file here that runs `skiff service start --all` "
                    "for this workspace at boot (not installed or started)");
  AddOutputOption(local, &options);
  local->footer(
      "Example:\n  skiff computetarget create local -n local\n  skiff computetarget create local "
      "-n lan --address 0.0.0.0 --systemd-unit skiff-services.service\n  skiff computetarget "
      "create local -n tls --ssl-cert-file cert.pem --ssl-key-file key.pem --ssl-cname "
      "scoring.example.com");
  local->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::LocalCompute::create(
        ws, local_name, local_address,
        {local_cname, AbsolutePathOrEmpty(local_cert), AbsolutePathOrEmpty(local_key)}));
    if (!local_address.empty() && !IsLoopbackHost(local_address) && local_cert.empty()) {
      Warn("services on '" + local_name + "' will listen on " + local_address +
           " over plain HTTP: keys, tokens and scoring data cross the network "
           "unencrypted; give --ssl-cert-file and --ssl-key-file (docs/compute-local.md)");
    }
    if (!local_unit.empty()) {
      WriteSystemdUnit(local_unit, ws.dir());
      std::cerr << "skiff: wrote " << local_unit << "; install it with `cp " << local_unit
                << " /etc/systemd/system/ && systemctl enable "
                << std::filesystem::path(local_unit).filename().string() << "`" << std::endl;
    }
    auto json = TargetJson(target);
    Print(options, json, kColumns, {Row(json)});
  });
  AddAksCreate(create, options);
  AddAksAttach(group, options);
  AddKubernetesAttach(group->get_subcommand("attach"), options);

  static std::string detach_name;
  CLI::App* detach = group->add_subcommand(
      "detach", "Forget a compute target; its infrastructure is left alone");
  detach->add_option("-n,--name", detach_name, "Name of the compute target")->required();
  detach->footer("Example:\n  skiff computetarget detach -n myaks");
  detach->callback([&options] {
    auto ws = OpenWorkspace(options);
    ThrowIfError(ValueOrThrow(sdk::ComputeTarget::get(ws, detach_name)).detach());
    Done(options, "Detached compute target '" + detach_name + "'");
  });

  CLI::App* list = group->add_subcommand("list", "List compute targets");
  AddOutputOption(list, &options);
  list->footer("Example:\n  skiff computetarget list --output json");
  list->callback([&options] {
    auto ws = OpenWorkspace(options);
    nlohmann::json json = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : ValueOrThrow(sdk::ComputeTarget::list(ws))) {
      json.push_back(TargetJson(t));
      rows.push_back(Row(json.back()));
    }
    Print(options, json, kColumns, rows);
  });

  static std::string show_name;
  static bool show_refresh = false;
  CLI::App* show = group->add_subcommand("show", "Show a compute target");
  show->add_option("-n,--name", show_name, "Name of the compute target")->required();
  show->add_flag("--refresh", show_refresh,
                 "Re-read the cluster from Azure first (done anyway while it is still being "
                 "created, updated or deleted)");
  AddOutputOption(show, &options);
  show->footer("Example:\n  skiff computetarget show -n local");
  show->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto t = ValueOrThrow(sdk::ComputeTarget::get(ws, show_name));
    auto json = TargetJson(t);
    const std::string state = Field(json, "provisioningState");
    const bool settled = state == "Succeeded" || state == "Failed" || state == "Canceled";
    if (show_refresh || !settled) {
      // Best effort unless asked for: without Azure credentials the stored
      // description is still worth showing.
      Status refreshed = t.refresh();
      if (!refreshed.ok()) {
        if (show_refresh) ThrowIfError(refreshed);
        Warn("showing the stored state; " + refreshed.message());
      }
      json = TargetJson(t);
    }
    Print(options, json, kColumns, {Row(json)});
  });

  static std::string wait_name;
  CLI::App* wait = group->add_subcommand(
      "wait", "Wait until a compute target's infrastructure is ready (after create --no-wait)");
  wait->add_option("-n,--name", wait_name, "Name of the compute target")->required();
  AddOutputOption(wait, &options);
  wait->footer("Example:\n  skiff computetarget create aks -n myaks ... --no-wait\n"
               "  skiff computetarget wait -n myaks");
  wait->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto t = ValueOrThrow(sdk::ComputeTarget::get(ws, wait_name));
    ThrowIfError(t.wait_for_completion(/*show_output=*/true));
    auto json = TargetJson(t);
    Print(options, json, kColumns, {Row(json)});
  });

  static std::string delete_name;
  static bool delete_yes = false;
  CLI::App* del = group->add_subcommand(
      "delete", "Delete a compute target and its infrastructure (no service may use it)");
  del->add_option("-n,--name", delete_name, "Name of the compute target")->required();
  del->add_flag("-y,--yes", delete_yes, "Confirm deleting cloud infrastructure (required for aks)");
  del->footer("Example:\n  skiff computetarget delete -n myaks --yes");
  del->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::ComputeTarget::get(ws, delete_name));
    if (target.type() != "local" && !delete_yes) {
      throw CliError("deleting '" + delete_name + "' deletes the " + target.type() +
                         " cluster in Azure; add --yes to confirm (or detach it instead)",
                     2);
    }
    ThrowIfError(target.delete_target());
    Done(options, "Deleted compute target '" + delete_name + "'");
  });
}

}  // namespace skiff::cli
