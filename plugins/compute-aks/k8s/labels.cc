// SPDX-License-Identifier: Apache-2.0
#include "k8s/labels.h"

#include "k8s/render_options.h"

namespace skiff::compute_aks::k8s {

nlohmann::json Labels(const LabelSet& set) {
  nlohmann::json l = SelectorLabels(set);
  l["app.kubernetes.io/name"] = "skiff-server";
  l["app.kubernetes.io/version"] = kSkiffVersion;
  l["app.kubernetes.io/part-of"] = "skiff";
  l["app.kubernetes.io/managed-by"] = "skiff";
  l[kServiceLabel] = set.service;
  return l;
}

nlohmann::json SelectorLabels(const LabelSet& set) {
  nlohmann::json l = {{"app.kubernetes.io/instance", set.service},
                      {"app.kubernetes.io/component", set.component}};
  if (!set.version.empty()) l["skiff.io/version"] = set.version;
  return l;
}

}  // namespace skiff::compute_aks::k8s
