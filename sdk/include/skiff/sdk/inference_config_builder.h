// SPDX-License-Identifier: Apache-2.0
// A typed inferenceconfig.json for applications (docs/inference-config.md):
//
//   auto ic = InferenceConfigBuilder()
//                 .accelerator("torch")
//                 .input("x", DataType::kFp32, {-1, 4})
//                 .output("y", DataType::kFp32, {-1, 3})
//                 .batching(8, 1000)
//                 .build();                      // StatusOr<config::InferenceConfig>
//   Model::deploy(ws, "iris", {model}, *ic, *dc, target);
//
// build() checks the result with the same rules as a file (the one parser),
// so an error names the field as it would in inferenceconfig.json.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "skiff/config/inference_config.h"
#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::sdk {

class InferenceConfigBuilder {
 public:
  // `accelerator`: the plugin (libskiff_accelerator_<name>.so). Default "torch".
  InferenceConfigBuilder& accelerator(std::string name);
  // `device`: "auto", "cpu", "cuda" or "cuda:N". Default "auto".
  InferenceConfigBuilder& device(std::string device);
  // `threads`: intra-op and inter-op threads per replica. Default 1 and 1.
  InferenceConfigBuilder& threads(int32_t intra_op, int32_t inter_op);
  // `batching`: on, with these limits.
  InferenceConfigBuilder& batching(int32_t max_batch_size, int64_t max_queue_delay_microseconds);
  // Appends to `inputs` / `outputs`; a dimension of -1 is dynamic.
  InferenceConfigBuilder& input(std::string name, DataType dtype, std::vector<int64_t> shape);
  InferenceConfigBuilder& output(std::string name, DataType dtype, std::vector<int64_t> shape);
  // `acceleratorOptions`, handed to the plugin as is. Default {}.
  InferenceConfigBuilder& accelerator_options(nlohmann::json options);
  // `auth`: the auth plugin. Default "default".
  InferenceConfigBuilder& auth(std::string plugin);

  // The config, or kInvalidArgument naming the field (`$.inputs` must not
  // be empty, ...).
  StatusOr<config::InferenceConfig> build() const;

 private:
  config::InferenceConfig config_;
};

}  // namespace skiff::sdk
