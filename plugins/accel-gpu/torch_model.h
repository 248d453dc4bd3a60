// SPDX-License-Identifier: Apache-2.0
// TorchModel: one replica's TorchScript module, scored with libtorch.
#pragma once

#include <torch/script.h>

#include <memory>
#include <string>
#include <vector>

#include "skiff/accelerator.h"

namespace skiff::accel_gpu {

class TorchModel final : public LoadedModel {
 public:
  // Loads options.artifact_path with torch::jit::load onto the device chosen
  // by SelectDevice(options.device, options.replica_index). Applies
  // intra_op_threads (per scoring thread) and inter_op_threads (once per
  // process: libtorch allows a single call, so the first replica's value
  // wins and later ones are ignored).
  // Errors: kNotFound (missing file), kInvalidArgument (corrupt or not
  // TorchScript, naming the file; bad signature), kFailedPrecondition (device
  // unavailable, forward() arity differs from the signature).
  // Threading: may be called concurrently for different replicas.
  static StatusOr<std::unique_ptr<TorchModel>> Load(const ModelLoadOptions& options);

  // Threading: may be called concurrently with anything.
  const Signature& signature() const override { return signature_; }
  // Scores zeros shaped from the signature (dynamic dims = 1).
  // Threading: called once, before any Score().
  Status Warmup() override;
  // Checks `inputs` against the signature, runs forward() under
  // c10::InferenceMode and maps the result (tensor; tuple or list by
  // position; dict by output name) back to host tensors in signature order.
  // Threading: never concurrently on the same TorchModel.
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override;
  // Triton's name for a TorchScript model run by libtorch, which clients
  // (tritonclient, KServe) already know. Threading: any.
  std::string platform() const override { return "pytorch_libtorch"; }

  // Where the module lives.
  // Threading: may be called concurrently with anything.
  const c10::Device& device() const { return device_; }

 private:
  TorchModel(torch::jit::Module module, const ModelLoadOptions& options, c10::Device device);
  StatusOr<std::vector<Tensor>> Forward(const std::vector<Tensor>& inputs);
  // The outputs in signature order: tensors, and List[str] for BYTES.
  StatusOr<std::vector<c10::IValue>> MapOutputs(const c10::IValue& result) const;

  torch::jit::Module module_;
  const Signature signature_;
  const std::string artifact_path_;
  const c10::Device device_;
  const int32_t intra_op_threads_;
};

}  // namespace skiff::accel_gpu
