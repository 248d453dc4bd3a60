// SPDX-License-Identifier: Apache-2.0
// How a version pod gets its model (`kubernetes.modelSource`, issue 18):
// from the version's own image, where the artifact is a layer at the path
// the pod's server.json names (skiff image build/push), or from the model
// claim (a PVC the user fills). docs/kubernetes.md, "How the model reaches
// the pod".
#pragma once

#include <string>

#include "k8s/render_options.h"
#include "k8s/service_plan.h"
#include "skiff/status.h"

namespace skiff::compute_aks::k8s {

struct VersionModel {
  std::string image;        // the server container's image
  bool mount_claim = true;  // mount options.model_claim at kModelsDir
};

// modelSource "pvc": options.image and the claim. "image": the image
// `modelImages` names for the version's artifact, no claim; FailedPrecondition
// naming the artifact and the fix when there is none. Unset: "image" when
// `modelImages` has the artifact, else the claim as before.
StatusOr<VersionModel> ResolveVersionModel(const RenderOptions& options,
                                           const VersionPlan& version);

}  // namespace skiff::compute_aks::k8s
