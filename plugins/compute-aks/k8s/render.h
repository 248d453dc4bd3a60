// SPDX-License-Identifier: Apache-2.0
// RenderService: the Kubernetes objects of one skiff service or endpoint on
// an AKS target, a pure function of the ServiceSpec and the target's
// settings (nothing is read or contacted). See docs/kubernetes.md.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cluster_files.h"
#include "k8s/cluster_settings.h"
#include "k8s/render_options.h"
#include "skiff/compute_target.h"
#include "skiff/status.h"

namespace skiff::compute_aks::k8s {

struct RenderInput {
  ServiceSpec spec;  // as BuildServiceSpec makes it
  ClusterSettings cluster;
  RenderOptions options;
  // Token mode: the auth plugin's key files (name -> contents) from the
  // server config's auth.options.keysDir; see ReadSigningKeyFiles().
  // Ignored in key and none modes.
  std::map<std::string, std::string> signing_key_files;
  // The front door's certificate and key (the target's tls.crt/tls.key);
  // required exactly when cluster.ssl_cname is set.
  std::optional<TlsPair> tls;
};

// In apply order: Namespace, Secret, the router's TLS Secret (with `tls`),
// ConfigMap, NetworkPolicy (version pods
// accept only the router); per version Deployment,
// Service, HorizontalPodAutoscaler (autoscaling only), PodDisruptionBudget;
// router Deployment, PodDisruptionBudget, Service; with
// options.service_monitor, the metrics Service (ClusterIP) and its
// ServiceMonitor. Every skiff-server container has a "metrics" port that the
// router's LoadBalancer Service does not expose (k8s/metrics_objects.h).
// Every object has metadata.labels (labels.h) incl. skiff.io/service.
// Errors (kInvalidArgument) name the field: names that are not Kubernetes
// names, artifacts outside the workspace store, token mode without key files.
StatusOr<std::vector<nlohmann::json>> RenderService(const RenderInput& input);

}  // namespace skiff::compute_aks::k8s
