// The plugin entry point: libskiff_accelerator_torch.so.
#include "torch_accelerator.h"

// plugin_export.h compares host_minor >= SKIFF_PLUGIN_ABI_MINOR, which is 0
// for ABI 1.0: -Wextra's -Wtype-limits flags it as always true. The check is
// right for later minors, so the warning is silenced here rather than the
// shared header changed from this branch.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
#include "skiff/plugin_export.h"
#pragma GCC diagnostic pop

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
