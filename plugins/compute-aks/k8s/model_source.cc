// SPDX-License-Identifier: Apache-2.0
#include "k8s/model_source.h"

#include <string_view>

#include "k8s/pod_paths.h"
#include "skiff/oci/image_builder.h"

namespace skiff::compute_aks::k8s {

// The image builder puts artifacts where the pods' server.json looks for them.
static_assert(std::string_view(kModelsDir) == std::string_view(oci::kImageModelsDir));
static_assert(std::string_view(kServerBinary) == std::string_view(oci::kImageServerBinary));
static_assert(kRunAsUser == oci::kImageUid);

StatusOr<VersionModel> ResolveVersionModel(const RenderOptions& options,
                                           const VersionPlan& version) {
  VersionModel out;
  out.image = options.image;
  if (options.model_source == kModelSourcePvc) return out;
  const std::string sha256 = version.server_config.versions.empty()
                                 ? std::string()
                                 : version.server_config.versions.front().sha256;
  auto it = options.model_images.find(sha256);
  if (it != options.model_images.end()) {
    out.image = it->second;
    out.mount_claim = false;
    return out;
  }
  if (options.model_source == kModelSourceImage) {
    return FailedPrecondition(
        "version '" + version.name + "': `kubernetes.modelSource` is \"image\" but " +
        "`kubernetes.modelImages` has no image for its artifact sha256 " + sha256 +
        "; build and push one (`skiff image build -m <model>` then `skiff image push`) and add "
        "its digest reference, or set `kubernetes.modelSource` to \"pvc\"");
  }
  return out;
}

}  // namespace skiff::compute_aks::k8s
