// SPDX-License-Identifier: Apache-2.0
#include "fpga_accelerator.h"

#include <cctype>

#include "fpga_model.h"
#include "xrt_runtime.h"

namespace skiff::accel_fpga {

StatusOr<std::unique_ptr<FpgaAccelerator>> FpgaAccelerator::Create(
    const std::string& options_json, std::shared_ptr<Runtime> runtime) {
  std::string compact;
  for (char c : options_json) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  }
  if (!compact.empty() && compact != "{}") {
    return InvalidArgument("the fpga accelerator takes no plugin options (got '" + options_json +
                           "'); put the card and timeout in the inference config's "
                           "acceleratorOptions (docs/accel-fpga.md)");
  }
  if (runtime == nullptr) runtime = MakeXrtRuntime();
  return std::unique_ptr<FpgaAccelerator>(new FpgaAccelerator(std::move(runtime)));
}

StatusOr<std::unique_ptr<LoadedModel>> FpgaAccelerator::Load(const ModelLoadOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<FpgaModel> model, FpgaModel::Load(options, runtime_));
  return std::unique_ptr<LoadedModel>(std::move(model));
}

}  // namespace skiff::accel_fpga
