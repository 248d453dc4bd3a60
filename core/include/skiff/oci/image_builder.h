// SPDX-License-Identifier: Apache-2.0
// The skiff-server image without Docker: an OCI image layout holding
//   layer 1 (system): the loader and the shared-library closure of
//     skiff-server, its plugins and the shell tools the pods' init container
//     uses; the CA bundle; /etc/passwd and /etc/group naming uid 10001;
//     /tmp and skiff's writable folders;
//   layer 2 (skiff): skiff-server and the plugins under /opt/skiff;
// and, per model version, one image more: the same two layers plus one
// layer holding only that model's artifact at its content-addressed path
// (the KServe "modelcar" idea), so a registry stores the base once and each
// artifact once, however many versions or services use it.
// The files come from this host's installation, never from a package
// manager inside the image; the same inputs give the same digests (layer.h).
#pragma once

#include <string>
#include <vector>

#include "skiff/oci/layer.h"
#include "skiff/oci/oci_layout.h"
#include "skiff/status.h"

namespace skiff::oci {

// Paths inside the image, shared with the pods compute-aks renders
// (plugins/compute-aks/k8s/pod_paths.h refers to these).
inline constexpr const char* kImageServerBinary = "/opt/skiff/bin/skiff-server";
inline constexpr const char* kImagePluginDir = "/opt/skiff/lib/skiff/plugins";
inline constexpr const char* kImageModelsDir = "/var/lib/skiff/models";
inline constexpr const char* kImageCaBundle = "/etc/ssl/certs/ca-certificates.crt";
inline constexpr int kImageUid = 10001;  // runAsUser of every rendered pod
// index.json's ref name of the base image (no model).
inline constexpr const char* kServerRefName = "server";

struct ModelLayerSource {
  std::string ref_name;  // the image's name in the layout, e.g. "resnet-3"
  std::string model;     // "name:version", a label on the image
  std::string sha256;    // the artifact digest (skiff/util/artifact_digest.h)
  std::string path;      // host path: the file, or the verified folder
  bool folder = false;
};

// Where a model's artifact lives in the image: <models>/sha256/<hex> for a
// file, <models>/materialized/<hex> for a folder (the same rule compute-aks
// applies to the workspace's artifacts/ paths).
std::string ModelPathInImage(const std::string& sha256, bool folder);

struct ImageBuildOptions {
  std::string skiff_server;          // host path of the binary
  std::vector<std::string> plugins;  // host paths of libskiff_*.so
  // In the image at the same paths, with their libraries: the version pods'
  // init container copies signing keys with them.
  std::vector<std::string> tools = {"/bin/sh", "/bin/cp", "/bin/mkdir"};
  // Folders whose shared libraries (`*.so*`, symlinks kept as links) go into
  // the system layer at their host paths, besides what ldd finds: libraries
  // loaded with dlopen, as a CUDA libtorch's cuDNN and NVRTC parts are
  // (docs/oci.md § Another libtorch).
  std::vector<std::string> include_library_dirs;
  std::string ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  // Labels (org.opencontainers.image.*): `version` skiff's version,
  // `source` the repository URL and `revision` the commit built (each
  // omitted when empty; BuildInfoLabels() below gives this build's),
  // `licenses` an SPDX expression.
  std::string version;
  std::string source;
  std::string revision;
  std::string licenses = "Apache-2.0";
  LayerOptions layer;  // mtime (SOURCE_DATE_EPOCH), gzip level
  // A JSON file recording which inputs gave which layer blob of `layout`.
  // A layer whose inputs are recorded (every file it copies by path, size,
  // mtime and inode, the options that shape its bytes; a model by its
  // artifact digest) and whose blob is still in the layout is reused, not
  // written again. "": every layer is written.
  std::string layer_cache;
};

struct BuiltImage {
  std::string ref_name;
  std::string model;  // "" for the base image
  Descriptor manifest;
  Descriptor config;
  std::vector<LayerBlob> layers;
  int reused_layers = 0;  // of `layers`, taken from the layer cache
};

// Writes the base image and one image per model into `layout` and its
// index.json (base first, then `models` in order). Errors name the missing
// file or library.
// This build's `source` and `revision` (CMake: SKIFF_SOURCE_URL, and the
// git commit the build was configured at, "" outside a git checkout) into
// `options`.
void SetBuildInfoLabels(ImageBuildOptions* options);

StatusOr<std::vector<BuiltImage>> BuildImages(const ImageBuildOptions& options,
                                              const std::vector<ModelLayerSource>& models,
                                              const OciLayout& layout);

}  // namespace skiff::oci
