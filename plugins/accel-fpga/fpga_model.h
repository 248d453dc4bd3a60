// SPDX-License-Identifier: Apache-2.0
// FpgaModel: one replica's MLP on an FPGA card through XRT.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "artifact.h"
#include "buffer_set.h"
#include "fpga_options.h"
#include "fpga_runtime.h"
#include "skiff/accelerator.h"

namespace skiff::accel_fpga {

class FpgaModel final : public LoadedModel {
 public:
  // Reads the artifact folder, checks the xclbin (platform and UUID pins
  // from signature.json, kernel, compute unit, argument count/kinds/types,
  // memory banks) and the inference config signature (one FP32 input
  // [-1, in], one FP32 output [-1, out]) before touching the card; then opens
  // the device, loads the xclbin (its UUID must match the file's), opens the
  // kernel and uploads the weights. Errors name the file, field or argument.
  // Threading: may be called concurrently for different replicas.
  static StatusOr<std::unique_ptr<FpgaModel>> Load(const ModelLoadOptions& options,
                                                   std::shared_ptr<Runtime> runtime);

  const Signature& signature() const override { return signature_; }
  // Scores one zero row. Threading: once, before any Score().
  Status Warmup() override;
  // Threading: never concurrently on the same FpgaModel.
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override;
  // No OIP tool names FPGA bitstreams; "<runtime>_<format>" like Triton's
  // names: an xclbin run through XRT (docs/accel-fpga.md). Threading: any.
  std::string platform() const override { return "xrt_xclbin"; }

 private:
  FpgaModel() = default;

  // Destruction order matters: buffers and kernel before the device, the
  // device before the runtime.
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<Device> device_;
  std::unique_ptr<Kernel> kernel_;
  std::unique_ptr<BufferSet> buffers_;
  FpgaArtifact artifact_;
  FpgaOptions options_;
  Signature signature_;
};

}  // namespace skiff::accel_fpga
