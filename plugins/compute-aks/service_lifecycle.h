// SPDX-License-Identifier: Apache-2.0
// ServiceLifecycle: a skiff service on the target's Kubernetes cluster, by
// way of the renderer (k8s/) and the client (kube/):
//   Deploy/Update  server-side apply every rendered object (Namespace first;
//                  when the credentials may not apply it (403) but the
//                  namespace exists, an admin created it: it is used as it
//                  is, so skiff needs no cluster-scope rights there),
//                  then delete the service's objects no longer rendered (a
//                  removed endpoint version); records the namespace.
//   State          every Deployment of the service (one LIST) through
//                  EvaluateRollout (observedGeneration, updated and
//                  available replicas; the pods, one LIST, only while a
//                  rollout is unfinished (their restarts too, and always
//                  for a detailed look): Unschedulable -> Unhealthy,
//                  CrashLoopBackOff/image pull errors/ProgressDeadlineExceeded
//                  -> Failed with the reason, and that Deployment's
//                  generation reported as refused), the applied generation
//                  once every Deployment finished rolling out the one it
//                  carries (skiff.io/generation), plus the router Service's
//                  load-balancer address for the URI; replicas ready/total
//                  from the Deployments. Nothing is sent to the
//                  load balancer: an internal one need not be reachable.
//   Logs           the router and model-version pods' logs; FollowLogs
//                  streams them (`get-logs --follow`).
//   Delete         every object labelled skiff.io/service=<name> of the
//                  kinds skiff renders, never the Namespace (it may be
//                  shared) and nothing unlabelled.
// State lives in <ws>/compute/<target>/services/<service>.json.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "kube/kube_client.h"
#include "skiff/compute_target.h"

namespace skiff::compute_aks {

class ServiceLifecycle {
 public:
  // `target_dir`: <ws>/compute/<target>; the kubeconfig there is used, or
  // the file `kubeconfig` with `context` ("" : its current-context) when
  // given (a kubernetes target).
  static StatusOr<std::unique_ptr<ServiceLifecycle>> Create(std::string target_dir,
                                                            std::string target_name,
                                                            const std::string& kubeconfig = "",
                                                            const std::string& context = "");

  Status Apply(const std::string& service, const std::vector<nlohmann::json>& objects);
  // `count_restarts`: read the pods even when every rollout is complete, to
  // sum their containers' restartCount (a one-off look, `service list`).
  StatusOr<ServiceStatus> State(const std::string& service, bool count_restarts = false);
  StatusOr<std::string> Logs(const std::string& service, int32_t num_lines);
  // Logs(), then new lines until `sink` says stop: the router and version
  // pods' log streams (kube/pod_log_follower.h), pods picked up and dropped
  // as a rollout replaces them.
  Status FollowLogs(const std::string& service, int32_t num_lines, LogSink* sink);
  // Each router pod's /metrics (its metrics port, through the pod proxy).
  StatusOr<std::map<std::string, std::string>> RouterMetrics(const std::string& service);
  // Each router pod's exposure log, paged through its GET /exposure (its
  // metrics port, through the pod proxy) into `sink`, pods by name; a pod
  // that cannot be read whole is `sink->Incomplete` (ComputeTarget::
  // ReadExposureLog). kNotFound when the service has no router pod.
  Status RouterExposureLogs(const std::string& service, ExposureLogSink* sink);
  Status Delete(const std::string& service);

 private:
  ServiceLifecycle(std::string target_dir, std::unique_ptr<kube::KubeClient> client)
      : target_dir_(std::move(target_dir)), client_(std::move(client)) {}
  std::string RecordPath(const std::string& service) const;
  // ServiceStatus::load from each router pod's GET /load, summed; on any
  // failure load stays empty and load_note says why.
  void ReadRouterLoad(const std::string& ns, const std::string& service, ServiceStatus* status);
  StatusOr<std::string> NamespaceOf(const std::string& service) const;
  // After applying Namespace `ns` was forbidden: OK when it exists.
  Status UsePrecreatedNamespace(const std::string& ns, const Status& refused);
  // Deletes the service's labelled objects of the rendered kinds whose
  // "Kind/name" is not in `keep` (all when `keep` is empty).
  Status Prune(const std::string& ns, const std::string& service,
               const std::vector<std::string>& keep);

  const std::string target_dir_;
  std::unique_ptr<kube::KubeClient> client_;
};

}  // namespace skiff::compute_aks
