// SPDX-License-Identifier: Apache-2.0
// TorchAccelerator: the skiff::Accelerator of the "torch" plugin.
#pragma once

#include <memory>
#include <string>

#include "skiff/accelerator.h"

namespace skiff::accel_gpu {

class TorchAccelerator final : public Accelerator {
 public:
  // `options_json` is the plugin's options object; it takes none yet, so it
  // must be empty or "{}" (model settings live in the inference config).
  // Errors: kInvalidArgument for anything else.
  static StatusOr<std::unique_ptr<TorchAccelerator>> Create(const std::string& options_json);

  // See TorchModel::Load.
  // Threading: may be called concurrently for different replicas.
  StatusOr<std::unique_ptr<LoadedModel>> Load(const ModelLoadOptions& options) override;
};

}  // namespace skiff::accel_gpu
