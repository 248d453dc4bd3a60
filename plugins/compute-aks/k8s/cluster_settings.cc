// SPDX-License-Identifier: Apache-2.0
#include "k8s/cluster_settings.h"

namespace skiff::compute_aks::k8s {

ClusterSettings ClusterSettingsFrom(const AksConfig& config) {
  ClusterSettings s;
  if (config.is_attach) {
    s.cluster_purpose = config.attach.cluster_purpose;
    return s;
  }
  s.load_balancer_type = config.provisioning.load_balancer_type;
  s.load_balancer_subnet = config.provisioning.load_balancer_subnet;
  s.cluster_purpose = config.provisioning.cluster_purpose;
  s.ssl_cname = config.provisioning.ssl_cname;
  return s;
}

}  // namespace skiff::compute_aks::k8s
