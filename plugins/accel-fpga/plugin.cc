// SPDX-License-Identifier: Apache-2.0
// The plugin entry point: libskiff_accelerator_fpga.so.
#include "fpga_accelerator.h"
#include "skiff/plugin_export.h"

namespace {

skiff::StatusOr<std::unique_ptr<skiff::Accelerator>> MakeFpgaAccelerator(
    const std::string& options_json) {
  SKIFF_ASSIGN_OR_RETURN(auto accelerator,
                         skiff::accel_fpga::FpgaAccelerator::Create(options_json));
  return std::unique_ptr<skiff::Accelerator>(std::move(accelerator));
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::Accelerator, "fpga", "0.1.0",
                    "Dense MLP models on Xilinx FPGAs through XRT (model.xclbin + weights)",
                    MakeFpgaAccelerator)
