// SPDX-License-Identifier: Apache-2.0
// RenderOptions: the Kubernetes-side knobs of an AKS compute target, from the
// optional `kubernetes` object of its config (docs/kubernetes.md):
//
//   "kubernetes": {"image": "myregistry.azurecr.io/skiff/server:0.1.0",
//                  "imagePullPolicy": "IfNotPresent",
//                  "fpgaResourceName": "xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_4_1-0",
//                  "modelClaim": "skiff-models",
//                  "modelSource": "image",
//                  "modelImages": {"<artifact sha256>": "<registry>/skiff/server@sha256:<hex>"},
//                  "serviceMonitor": true}
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks::k8s {

// The skiff version the default image tag names.
inline constexpr const char* kSkiffVersion = "0.1.0";
inline constexpr const char* kModelSourceImage = "image";
inline constexpr const char* kModelSourcePvc = "pvc";

struct RenderOptions {
  // `image`: the skiff server image (deploy/Dockerfile) for version pods and
  // the router. Default "skiff/server:<skiff version>".
  std::string image = std::string("skiff/server:") + kSkiffVersion;
  // Whether the config named `image`. Not given, a target with a `registry`
  // builds and pushes the images on every deploy (image_publisher.h).
  bool image_given = false;
  // `imagePullPolicy`: Always, IfNotPresent or Never. Default IfNotPresent.
  std::string image_pull_policy = "IfNotPresent";
  // `fpgaResourceName`: the extended resource a version whose accelerator is
  // "fpga" requests one of (the device plugin's name on the FPGA nodes).
  // Default Xilinx's U250 name as the Xilinx FPGA device plugin advertises it.
  std::string fpga_resource_name = "xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_4_1-0";
  // `modelClaim`: the PersistentVolumeClaim (in the service's namespace)
  // holding the workspace's artifact store; mounted read-only. Default
  // "skiff-models". See docs/kubernetes.md, "How the model reaches the pod".
  std::string model_claim = "skiff-models";
  // `modelSource`: "image" (the model is a layer of the version's image,
  // k8s/model_source.h) or "pvc" (the claim above). Unset (""): a version
  // whose artifact has an image in `modelImages` uses it, any other mounts
  // the claim as before; "image" refuses a version without one.
  std::string model_source;
  // `modelImages`: artifact sha256 -> the image holding it, referenced by
  // digest ("host/repo@sha256:<hex>", as `skiff image push` prints it).
  std::map<std::string, std::string> model_images;
  // `serviceMonitor`: also render a prometheus-operator ServiceMonitor (and
  // the cluster-internal metrics Service it selects) for the service's pods.
  // Needs the monitoring.coreos.com CRDs on the cluster. Default false: the
  // pods' prometheus.io/* annotations are the only scrape hint.
  bool service_monitor = false;
};

// Parses the `kubernetes` object (null or absent: all defaults). Unknown keys
// and wrong types are refused naming `kubernetes.<key>`.
StatusOr<RenderOptions> ParseRenderOptions(const nlohmann::json& kubernetes);

}  // namespace skiff::compute_aks::k8s
