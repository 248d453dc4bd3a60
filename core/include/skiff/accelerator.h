// SPDX-License-Identifier: Apache-2.0
// Accelerator: the interface an accelerator plugin (libskiff_accelerator_*.so)
// implements: load a model artifact for one replica, describe its signature,
// score a batch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "skiff/plugin_abi.h"
#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff {

// What a replica needs to load its model.
struct ModelLoadOptions {
  // Path of the verified model artifact (a file, or a folder for multi-file
  // models). The host has checked its content hash before calling Load().
  std::string artifact_path;
  // The signature from the inference config; the model must match it.
  Signature signature;
  // "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
  std::string device = "auto";
  // Threads per replica. Default 1 intra-op thread so replicas do not
  // oversubscribe cores; 0 = the runtime's default.
  int32_t intra_op_threads = 1;
  int32_t inter_op_threads = 1;
  // The whole validated inference config, as JSON (docs/inference-config.md),
  // for accelerator-specific settings under "acceleratorOptions".
  std::string inference_config_json;
  // Index of this replica within the service (0-based), for device placement
  // and logs.
  int32_t replica_index = 0;
};

// A model loaded for one replica.
class LoadedModel {
 public:
  virtual ~LoadedModel();

  // The input/output signature the model was loaded with.
  // Threading: may be called concurrently with anything.
  virtual const Signature& signature() const = 0;

  // Runs the model once on representative inputs so the first request does
  // not pay for lazy initialisation. Called before the replica reports ready.
  // Threading: called once, before any Score().
  virtual Status Warmup() = 0;

  // Scores one batch. `inputs` are in signature order and have been checked
  // against the signature by the caller; outputs come back in signature order.
  // Threading: never called concurrently on the same LoadedModel (one replica
  // = one worker); different LoadedModels may score concurrently.
  virtual StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) = 0;

  // The Open Inference Protocol `platform` of this model, "<project>_<format>"
  // as tools know it (Triton's "pytorch_libtorch" for TorchScript), reported
  // by GET /v2/models/{m} (docs/protocols.md). The plugin names it because
  // only it knows what it loaded; the core keeps no table of plugin names.
  // "" (the default) = the plugin names none; the metadata then says "skiff".
  // Threading: may be called concurrently with anything. ABI 5.
  virtual std::string platform() const;
};

// Factory for loaded models; one per plugin instance.
class Accelerator {
 public:
  static constexpr uint32_t kPluginKind = SKIFF_PLUGIN_KIND_ACCELERATOR;

  virtual ~Accelerator();

  // Loads the artifact for one replica. A corrupt or unsupported artifact is
  // an error (kInvalidArgument / kFailedPrecondition), never a crash.
  // The returned model must not outlive this Accelerator.
  // Threading: may be called concurrently for different replicas.
  virtual StatusOr<std::unique_ptr<LoadedModel>> Load(const ModelLoadOptions& options) = 0;
};

}  // namespace skiff
