// SPDX-License-Identifier: Apache-2.0
// inferenceconfig.json: how a model is served (accelerator plugin, device,
// threads, batching, input/output signature). skiff's own schema: Azure ML's
// entryScript/environment model is refused. Every field and default is
// documented in docs/inference-config.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::config {

// `threads`: per-replica thread pools of the model runtime.
struct ThreadOptions {
  // `intraOp`: threads inside one operator; >= 0, 0 = the runtime's default.
  // Default 1, so replicas do not oversubscribe cores.
  int32_t intra_op = 1;
  // `interOp`: operators run in parallel; >= 0, 0 = the runtime's default.
  // Default 1.
  int32_t inter_op = 1;
};

// `batching`: dynamic batching of concurrent requests along dimension 0.
struct BatchingOptions {
  // `enabled`. Default false. When true every input and output shape must
  // start with a dynamic (-1) batch dimension.
  bool enabled = false;
  // `maxBatchSize`: most requests merged into one Score() call; >= 1.
  // Default 8.
  int32_t max_batch_size = 8;
  // `maxQueueDelayMicroseconds`: longest a request waits for others to join
  // its batch; >= 0. Default 1000.
  int64_t max_queue_delay_microseconds = 1000;
};

// A validated inferenceconfig.json.
struct InferenceConfig {
  // `accelerator`: accelerator plugin name (libskiff_accelerator_<name>.so);
  // lowercase letters, digits, '-' and '_'. Default "torch".
  std::string accelerator = "torch";
  // `device`: "auto" (CUDA when available, else CPU), "cpu", "cuda" or
  // "cuda:N". Default "auto".
  std::string device = "auto";
  ThreadOptions threads;
  BatchingOptions batching;
  // `inputs`, `outputs`: the model signature; required, non-empty, names
  // unique within each list. Each entry is {name, datatype, shape}; a shape
  // dimension is >= 1 or -1 (dynamic).
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  // `acceleratorOptions`: free-form object handed to the accelerator plugin.
  // Default {}.
  nlohmann::json accelerator_options = nlohmann::json::object();
  // `auth`: auth plugin name (libskiff_auth_<name>.so), same charset as
  // accelerator. Default "default".
  std::string auth = "default";
};

// Parses and validates an inferenceconfig.json document. Errors are
// kInvalidArgument and name the JSON path, the problem and the fix.
StatusOr<InferenceConfig> ParseInferenceConfig(std::string_view json_text);

// As ParseInferenceConfig, reading `path`. Every error names the file; a
// missing file is kNotFound.
StatusOr<InferenceConfig> ParseInferenceConfigFile(const std::string& path);

// The full config with every default filled in; round-trips through
// ParseInferenceConfig.
nlohmann::json ToJson(const InferenceConfig& config);

// The model signature the config declares (inputs and outputs, in order).
Signature ToSignature(const InferenceConfig& config);

}  // namespace skiff::config
