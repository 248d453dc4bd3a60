// SPDX-License-Identifier: Apache-2.0
#include "k8s/render_options.h"

#include <optional>
#include <string_view>

#include "skiff/config/json_reader.h"

#include "k8s/dns_name.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;

// A string option that, when given, may not be empty (an empty image or claim
// name would only fail later, on the cluster).
void NonEmptyString(config::ObjectReader& r, std::string_view key, std::string* out) {
  std::optional<std::string> value = r.String(key);
  if (!value) return;
  if (value->empty()) config::Fail("`" + r.PathOf(key) + "` must be a non-empty string");
  *out = *value;
}

// Extended resource names: [prefix/]name, the prefix a DNS subdomain.
bool ValidResourceName(const std::string& s) {
  size_t slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= s.size() ||
      s.find('/', slash + 1) != std::string::npos || s.size() > 253) {
    return false;
  }
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Pods pull a model image by digest, so what runs is what was pushed.
Status ParseModelImages(const json& kubernetes, std::map<std::string, std::string>* out) {
  if (!kubernetes.contains("modelImages")) return OkStatus();
  const json& images = kubernetes["modelImages"];
  if (!images.is_object()) {
    return InvalidArgument(
        "aks config: `kubernetes.modelImages` must be an object of "
        "artifact sha256 -> image reference");
  }
  for (const auto& [sha, ref] : images.items()) {
    const std::string where = "aks config: `kubernetes.modelImages." + sha + "`";
    if (!IsHex64(sha)) return InvalidArgument(where + ": the key must be an artifact's sha256");
    const std::string value = ref.is_string() ? ref.get<std::string>() : "";
    const size_t at = value.find("@sha256:");
    if (at == std::string::npos || at == 0 || !IsHex64(value.substr(at + 8)) ||
        value.find_first_of(" \t\n") != std::string::npos) {
      return InvalidArgument(where + " must be an image reference by digest, " +
                             "host/repository@sha256:<hex>, as `skiff image push` prints it");
    }
    (*out)[sha] = value;
  }
  return OkStatus();
}

}  // namespace

StatusOr<RenderOptions> ParseRenderOptions(const json& kubernetes) {
  RenderOptions o;
  if (kubernetes.is_null()) return o;
  // The typed reader (skiff/config/json_reader.h): unknown keys with "did you
  // mean", wrong types naming `kubernetes.<key>`.
  SKIFF_RETURN_IF_ERROR(config::ReadConfig("aks config", [&] {
                          config::ObjectReader r(kubernetes, "kubernetes");
                          NonEmptyString(r, "image", &o.image);
                          o.image_given = kubernetes.contains("image");
                          NonEmptyString(r, "imagePullPolicy", &o.image_pull_policy);
                          NonEmptyString(r, "fpgaResourceName", &o.fpga_resource_name);
                          NonEmptyString(r, "modelClaim", &o.model_claim);
                          NonEmptyString(r, "modelSource", &o.model_source);
                          (void)r.Get("modelImages");  // ParseModelImages below
                          o.service_monitor = r.Bool("serviceMonitor").value_or(false);
                          r.RejectUnknownKeys();
                          return true;
                        }).status());
  for (char c : o.image) {
    if (c == ' ' || c == '\t' || c == '\n') {
      return InvalidArgument("aks config: `kubernetes.image` '" + o.image +
                             "' must not contain whitespace");
    }
  }
  if (o.image_pull_policy != "Always" && o.image_pull_policy != "IfNotPresent" &&
      o.image_pull_policy != "Never") {
    return InvalidArgument("aks config: `kubernetes.imagePullPolicy` '" + o.image_pull_policy +
                           "' must be Always, IfNotPresent or Never");
  }
  if (!ValidResourceName(o.fpga_resource_name)) {
    return InvalidArgument("aks config: `kubernetes.fpgaResourceName` '" + o.fpga_resource_name +
                           "' must be an extended resource name such as "
                           "xilinx.com/fpga-<shell> (<domain>/<name>)");
  }
  SKIFF_RETURN_IF_ERROR(ValidateDns1123Label(o.model_claim, "aks config: `kubernetes.modelClaim`"));
  if (!o.model_source.empty() && o.model_source != kModelSourceImage &&
      o.model_source != kModelSourcePvc) {
    return InvalidArgument("aks config: `kubernetes.modelSource` '" + o.model_source +
                           "' must be \"image\" or \"pvc\"");
  }
  SKIFF_RETURN_IF_ERROR(ParseModelImages(kubernetes, &o.model_images));
  return o;
}

}  // namespace skiff::compute_aks::k8s
