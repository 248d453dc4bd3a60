// The router's nginx.conf: the endpoint's traffic split across the version
// Services, as skiff-server does it in-process (docs/kubernetes.md):
// a version pinned by the path (/v2/models/{m}/versions/{v}/...) or the
// `azureml-model-deployment` header wins (unknown -> 404); otherwise a draw
// over trafficPercentile, the rest going to the default version.
// The router does no authentication: the Authorization header is passed on
// and every version pod checks it.
#pragma once

#include <string>

#include "k8s/service_plan.h"

namespace skiff::compute_aks::k8s {

// nginx runs non-root on a read-only root filesystem: pid, temp paths and
// logs go to /tmp and stdout/stderr. Upstreams are the version Services'
// cluster DNS names (<object>.<namespace>.svc.cluster.local:80).
std::string RouterNginxConf(const ServicePlan& plan);

}  // namespace skiff::compute_aks::k8s
