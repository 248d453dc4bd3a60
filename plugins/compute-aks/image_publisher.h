// SPDX-License-Identifier: Apache-2.0
// The images a deploy to an aks target with a `registry` runs (issue 18
// item 6): the server image (the router's) and one image per model
// artifact (the version pods'), built with skiff_oci into a layout kept in
// the target's folder and pushed to <registry>/skiff/server. A layer whose
// inputs did not change is reused, and a blob the registry has is skipped,
// so a second deploy where one model changed builds and uploads only that
// model's layer and its image's config. The rendered pods then name the
// images by the digests the registry confirmed (docs/kubernetes.md,
// "One deploy command").
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "k8s/render_options.h"
#include "registry_ref.h"
#include "skiff/compute_target.h"
#include "skiff/oci/registry_auth.h"
#include "skiff/oci/registry_client.h"
#include "skiff/status.h"

namespace skiff::compute_aks {

// The repository every image goes to (`skiff image push`'s default, so
// their shared layers are stored and uploaded once).
inline constexpr const char* kImageRepository = "skiff/server";

struct ImagePublishOptions {
  RegistryRef registry;
  std::string layout_dir;                // the OCI layout (and its layer cache)
  std::string skiff_server;              // host path of the binary the images carry
  std::vector<std::string> plugin_dirs;  // searched in order for libskiff_<kind>_<name>.so
  // Library folders the server image also carries (ImageBuildOptions::
  // include_library_dirs; SKIFF_IMAGE_INCLUDE_LIBS).
  std::vector<std::string> include_library_dirs;
  bool push = true;         // false (--dry-run): build only, no network
  bool with_models = true;  // false (modelSource pvc): the server image only
  // How to reach the registry: https with the system store or `ca_file`;
  // plain http only to a loopback host (net::HttpClient's rule).
  bool plain_http = false;
  std::string ca_file;
  oci::RegistryCredentials credentials;
  int gzip_level = 6;
  // One line per image and per uploaded blob; no credential ever.
  std::function<void(const std::string&)> progress;
  // While a blob uploads: its bytes so far, for a live display on a TTY
  // (a carriage-return line); empty: nothing between the lines above.
  std::function<void(const std::string&)> live;
};

struct PublishedImages {
  std::string server;                         // host/repo@sha256:... for `kubernetes.image`
  std::map<std::string, std::string> models;  // artifact sha256 -> its image by digest
  oci::PushStats stats;                       // all pushes together
  int layers_built = 0, layers_reused = 0;    // over all images
};

// Builds (or reuses) the server image with the plugins `server_config_json`
// needs (its auth plugin and every version's accelerator) and one image
// per distinct artifact, and pushes them unless `options.push` is false (the
// references are then the digests a push would make). Errors name what is
// missing (a plugin, the server binary) or what the registry refused.
StatusOr<PublishedImages> PublishImages(const ServiceSpec& spec,
                                        const ImagePublishOptions& options);

}  // namespace skiff::compute_aks
