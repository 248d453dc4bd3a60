// SPDX-License-Identifier: Apache-2.0
// Runs rendered Kubernetes pod templates with runc, as a kubelet and
// kube-proxy would, without the control plane (issue 18 item 5):
//   PodNetwork: network namespaces the test owns — one "cluster" namespace
//     holding a bridge, one per pod (and one for the client) wired to it by
//     a veth pair; private 10.x addresses exist only inside them. Services get
//     a cluster IP that each namespace DNATs to the pod (kube-proxy's job),
//     and each pod's /etc/hosts names them (cluster DNS's job).
//   ApplyNetworkPolicy: the policy a CNI would enforce, as iptables rules.
//   MaterializeVolumes: Secret and ConfigMap volumes written from the
//     rendered objects (items, defaultMode, group fsGroup, the kubelet's
//     ..data symlink layout); emptyDirs as fresh folders.
//   RuncConfig: a container spec (command/args/env incl. valueFrom,
//     securityContext incl. seccompProfile RuntimeDefault, volumeMounts,
//     resources.limits.memory) translated to
//     runc's config.json.
//   RuncContainer: one runc container, killed and deleted on destruction.
// Nothing here knows skiff's object names: it reads only Kubernetes fields.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "skiff/status.h"

namespace skiff::compute_aks::testing {

// A shell-free command; stdout or an error with its stderr.
StatusOr<std::string> Run(const std::vector<std::string>& argv);

// A Service as kube-proxy sees it: cluster_ip:port -> pod_ip:target_port.
struct ServiceRoute {
  std::string name, ns;
  std::string cluster_ip;
  int port = 0;
  std::string pod_ip;
  int target_port = 0;
};

class PodNetwork {
 public:
  // `tag`: unique per run (namespace and link names derive from it).
  explicit PodNetwork(std::string tag);
  ~PodNetwork();  // deletes every namespace it made; their veths go with them
  PodNetwork(const PodNetwork&) = delete;
  PodNetwork& operator=(const PodNetwork&) = delete;

  Status Init();  // the cluster namespace and its bridge
  struct Member {
    std::string netns;  // name for `ip netns exec`
    std::string path;   // /var/run/netns/<name>, for runc's network namespace
    std::string ip;     // inside the pod network (10.244.0.0/24)
  };
  StatusOr<Member> Add(const std::string& short_name);
  // The next free cluster IP (10.96.0.0/24).
  std::string NextClusterIp();
  // DNAT rules for every route in every member namespace.
  Status InstallServices(const std::vector<ServiceRoute>& routes);
  // /etc/hosts for a pod: localhost, itself, and each Service as `name`,
  // `name.ns`, `name.ns.svc` and `name.ns.svc.cluster.local`.
  static std::string HostsFile(const Member& self, const std::string& hostname,
                               const std::vector<ServiceRoute>& routes);
  const std::vector<std::string>& namespaces() const { return namespaces_; }

 private:
  std::string tag_;
  std::string cluster_ns_;
  std::vector<std::string> namespaces_;  // every one made, cluster first
  std::vector<Member> members_;
  int next_pod_ = 10, next_service_ = 10;
};

// A running pod as a NetworkPolicy selects it.
struct PodEndpoint {
  std::string netns, ip;
  nlohmann::json labels;
};

// A NetworkPolicy as a CNI enforces it (Ingress; `from` podSelector peers in
// the same namespace, or namespaceSelector {}: every pod given; TCP ports): iptables INPUT rules in the namespace of
// every pod it selects, everything else dropped. `node_ip` is always let in,
// as Kubernetes lets a pod's node in (the kubelet's probes). Unimplemented
// for peers or policy types this does not translate.
Status ApplyNetworkPolicy(const nlohmann::json& policy, const std::vector<PodEndpoint>& pods,
                          const std::string& node_ip);

// Host paths of a pod's volumes, by volume name.
struct PodVolume {
  std::string host_path;  // bind source
};
using PodVolumes = std::map<std::string, PodVolume>;

// Writes the pod's secret/configMap volumes and emptyDirs under `dir`.
// `objects` are the rendered objects (Secrets with stringData or data).
// NotFound naming the volume when its object or key is not rendered.
StatusOr<PodVolumes> MaterializeVolumes(const nlohmann::json& pod_spec,
                                        const std::vector<nlohmann::json>& objects,
                                        const std::string& dir);

// The kubelet's update of a running pod's Secret and ConfigMap volumes
// (under `dir`, as MaterializeVolumes wrote them) to `objects`: new files,
// then ..data swapped in one rename.
Status UpdateConfigVolumes(const nlohmann::json& pod_spec,
                           const std::vector<nlohmann::json>& objects, const std::string& dir);

struct ContainerEnv {
  std::string rootfs;            // the unpacked image (absolute)
  nlohmann::json image_process;  // umoci's config.json "process" (args, env, user)
  std::string netns_path;
  std::string hostname;
  std::string hosts_file;   // host file mounted at /etc/hosts
  std::string resolv_conf;  // host file mounted at /etc/resolv.conf
  // The Docker-format default seccomp profile seccompProfile RuntimeDefault
  // stands for (containerd's default is the same list).
  std::string runtime_default_seccomp = "/usr/share/containers/seccomp.json";
};

// runc's config.json for `container` of `pod_spec`. Also creates the mount
// points inside the rootfs (a container runtime does so before the read-only
// remount), so call it before snapshotting the rootfs.
StatusOr<nlohmann::json> RuncConfig(const nlohmann::json& pod_spec, const nlohmann::json& container,
                                    const std::vector<nlohmann::json>& objects,
                                    const PodVolumes& volumes, const ContainerEnv& env);

class RuncContainer {
 public:
  // `state_root`: runc --root (private to the test).
  RuncContainer(std::string state_root, std::string id);
  ~RuncContainer();  // runc delete --force, whatever state it is in
  RuncContainer(const RuncContainer&) = delete;
  RuncContainer& operator=(const RuncContainer&) = delete;

  // Detached; the container's stdout and stderr go to `log`.
  Status Start(const std::string& bundle, const std::string& log);
  // Foreground (init containers): OK when it exits 0.
  Status RunToCompletion(const std::string& bundle, const std::string& log);
  // `runc exec` as the container's user; its output, or its error.
  StatusOr<std::string> Exec(const std::vector<std::string>& argv);
  StatusOr<int> Pid();
  // `runc kill` with a signal name ("TERM"); `runc state`'s status
  // ("running", "stopped").
  Status Kill(const std::string& signal);
  StatusOr<std::string> State();
  const std::string& id() const { return id_; }

 private:
  std::string root_, id_;
  bool created_ = false;
};

// A Kubernetes quantity ("512Mi", "1Gi", "1000") in bytes; -1 when it is
// not one (fractions and exponents are not read).
long long QuantityBytes(const std::string& q);

}  // namespace skiff::compute_aks::testing
