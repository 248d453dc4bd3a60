// SPDX-License-Identifier: Apache-2.0
// The plugin entry point: libskiff_accelerator_torch.so.
#include "torch_accelerator.h"

#include "skiff/plugin_export.h"

namespace {

skiff::StatusOr<std::unique_ptr<skiff::Accelerator>> MakeTorchAccelerator(
    const std::string& options_json) {
  SKIFF_ASSIGN_OR_RETURN(auto accelerator,
                         skiff::accel_gpu::TorchAccelerator::Create(options_json));
  return std::unique_ptr<skiff::Accelerator>(std::move(accelerator));
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::Accelerator, "torch", "0.1.0",
                    "TorchScript (.pt) models on CUDA or CPU with libtorch", MakeTorchAccelerator)
