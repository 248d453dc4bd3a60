// SPDX-License-Identifier: Apache-2.0
#include "k8s/yaml_emitter.h"

#include <yaml-cpp/yaml.h>

#include "skiff/yaml/json_to_yaml.h"

namespace skiff::compute_aks::k8s {

std::string ToYaml(const std::vector<nlohmann::json>& objects) {
  std::string text;
  for (const nlohmann::json& object : objects) {
    YAML::Emitter out;
    out.SetIndent(2);
    yaml::EmitJson(out, object);
    text += "---\n";
    text += out.c_str();
    text += "\n";
  }
  return text;
}

}  // namespace skiff::compute_aks::k8s
