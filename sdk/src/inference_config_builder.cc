// SPDX-License-Identifier: Apache-2.0
#include "skiff/sdk/inference_config_builder.h"

#include <utility>

namespace skiff::sdk {

InferenceConfigBuilder& InferenceConfigBuilder::accelerator(std::string name) {
  config_.accelerator = std::move(name);
  return *this;
}

InferenceConfigBuilder& InferenceConfigBuilder::device(std::string device) {
  config_.device = std::move(device);
  return *this;
}

InferenceConfigBuilder& InferenceConfigBuilder::threads(int32_t intra_op, int32_t inter_op) {
  config_.threads.intra_op = intra_op;
  config_.threads.inter_op = inter_op;
  return *this;
}

InferenceConfigBuilder& InferenceConfigBuilder::batching(int32_t max_batch_size,
                                                         int64_t max_queue_delay_microseconds) {
  config_.batching.enabled = true;
  config_.batching.max_batch_size = max_batch_size;
  config_.batching.max_queue_delay_microseconds = max_queue_delay_microseconds;
  return *this;
}

InferenceConfigBuilder& InferenceConfigBuilder::input(std::string name, DataType dtype,
                                                      std::vector<int64_t> shape) {
  config_.inputs.push_back({std::move(name), dtype, std::move(shape)});
  return *this;
}

InferenceConfigBuilder& InferenceConfigBuilder::output(std::string name, DataType dtype,
                                                       std::vector<int64_t> shape) {
  config_.outputs.push_back({std::move(name), dtype, std::move(shape)});
  return *this;
}

InferenceConfigBuilder& InferenceConfigBuilder::accelerator_options(nlohmann::json options) {
  config_.accelerator_options = std::move(options);
  return *this;
}

InferenceConfigBuilder& InferenceConfigBuilder::auth(std::string plugin) {
  config_.auth = std::move(plugin);
  return *this;
}

StatusOr<config::InferenceConfig> InferenceConfigBuilder::build() const {
  // One set of rules: the file parser's, applied to what a file would hold.
  return config::ParseInferenceConfig(config::ToJson(config_).dump());
}

}  // namespace skiff::sdk
