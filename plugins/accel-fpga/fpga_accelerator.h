// SPDX-License-Identifier: Apache-2.0
// FpgaAccelerator: the skiff::Accelerator of the "fpga" plugin.
#pragma once

#include <memory>
#include <string>

#include "fpga_runtime.h"
#include "skiff/accelerator.h"

namespace skiff::accel_fpga {

class FpgaAccelerator final : public Accelerator {
 public:
  // `options_json` must be empty or "{}" (model settings live in the
  // inference config's acceleratorOptions). `runtime` defaults to XRT.
  // Errors: kInvalidArgument for other plugin options.
  static StatusOr<std::unique_ptr<FpgaAccelerator>> Create(
      const std::string& options_json, std::shared_ptr<Runtime> runtime = nullptr);

  // See FpgaModel::Load. Threading: may be called concurrently for different replicas.
  StatusOr<std::unique_ptr<LoadedModel>> Load(const ModelLoadOptions& options) override;

 private:
  explicit FpgaAccelerator(std::shared_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {}
  std::shared_ptr<Runtime> runtime_;
};

}  // namespace skiff::accel_fpga
