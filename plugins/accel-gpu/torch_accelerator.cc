// SPDX-License-Identifier: Apache-2.0
#include "torch_accelerator.h"

#include <cctype>

#include "torch_model.h"

namespace skiff::accel_gpu {

StatusOr<std::unique_ptr<TorchAccelerator>> TorchAccelerator::Create(
    const std::string& options_json) {
  std::string compact;
  for (char c : options_json) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  }
  if (!compact.empty() && compact != "{}") {
    return InvalidArgument("the torch accelerator takes no plugin options (got '" + options_json +
                           "'); put model settings (device, threads) in the inference config");
  }
  return std::make_unique<TorchAccelerator>();
}

StatusOr<std::unique_ptr<LoadedModel>> TorchAccelerator::Load(const ModelLoadOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<TorchModel> model, TorchModel::Load(options));
  return std::unique_ptr<LoadedModel>(std::move(model));
}

}  // namespace skiff::accel_gpu
