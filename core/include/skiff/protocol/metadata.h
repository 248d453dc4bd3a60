// SPDX-License-Identifier: Apache-2.0
// Open Inference Protocol v2 metadata bodies: GET /v2 and
// GET /v2/models/{model}[/versions/{v}] (docs/protocols.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/tensor.h"

namespace skiff::protocol {

// {"name": "skiff", "version": <version>, "extensions": ["binary_tensor_data"]}.
nlohmann::json ServerMetadata(std::string_view version);

// {"name", "versions": [...], "platform", "inputs": [{"name", "datatype",
// "shape"}], "outputs": [...]}; -1 marks a dynamic dimension. `platform` is
// what the accelerator plugin reports (LoadedModel::platform, e.g.
// "pytorch_libtorch"); "" writes "skiff".
nlohmann::json ModelMetadata(std::string_view name, const std::vector<std::string>& versions,
                             std::string_view platform, const Signature& signature);
// The same with platform "skiff" (callers that do not know the model).
nlohmann::json ModelMetadata(std::string_view name, const std::vector<std::string>& versions,
                             const Signature& signature);

}  // namespace skiff::protocol
