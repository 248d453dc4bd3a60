// SPDX-License-Identifier: Apache-2.0
// Kubernetes objects as a multi-document YAML stream (kubectl apply -f -).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::compute_aks::k8s {

// Each object a document ("---" before each), written by the core's one
// JSON-to-YAML rule (skiff/yaml/json_to_yaml.h): strings that YAML would read
// as another type ("true", "80", "null", "") are double-quoted; multi-line
// strings are literal blocks. Loading the result gives back the same JSON.
std::string ToYaml(const std::vector<nlohmann::json>& objects);

}  // namespace skiff::compute_aks::k8s
