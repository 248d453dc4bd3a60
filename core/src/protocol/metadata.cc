// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/metadata.h"

namespace skiff::protocol {
namespace {

nlohmann::json SpecsJson(const std::vector<TensorSpec>& specs) {
  nlohmann::json list = nlohmann::json::array();
  for (const TensorSpec& spec : specs) {
    list.push_back(
        {{"name", spec.name}, {"datatype", DataTypeName(spec.dtype)}, {"shape", spec.shape}});
  }
  return list;
}

}  // namespace

nlohmann::json ServerMetadata(std::string_view version) {
  return {{"name", "skiff"},
          {"version", std::string(version)},
          // Triton's name for the binary tensor extension (infer_request.h),
          // which clients look for here before they send binary.
          {"extensions", nlohmann::json::array({"binary_tensor_data"})}};
}

nlohmann::json ModelMetadata(std::string_view name, const std::vector<std::string>& versions,
                             std::string_view platform, const Signature& signature) {
  return {{"name", std::string(name)},
          {"versions", versions},
          {"platform", platform.empty() ? std::string("skiff") : std::string(platform)},
          {"inputs", SpecsJson(signature.inputs)},
          {"outputs", SpecsJson(signature.outputs)}};
}

nlohmann::json ModelMetadata(std::string_view name, const std::vector<std::string>& versions,
                             const Signature& signature) {
  return ModelMetadata(name, versions, "", signature);
}

}  // namespace skiff::protocol
