// SPDX-License-Identifier: Apache-2.0
#include "fpga_model.h"

#include <cstring>

#include "kernel_check.h"
#include "mlp_kernel_abi.h"
#include "mlp_runner.h"
#include "skiff/signature_check.h"

namespace skiff::accel_fpga {
namespace {

Status CheckTensor(const TensorSpec& spec, const char* role, int32_t dim, const std::string& path) {
  const std::string want = std::string("FP32 [-1, ") + std::to_string(dim) + "]";
  if (spec.dtype != DataType::kFp32 || spec.shape.size() != 2 || spec.shape[1] != dim ||
      spec.shape[0] == 0 || spec.shape[0] < -1) {
    return FailedPrecondition(std::string("the inference config's ") + role + " '" + spec.name +
                              "' is " + DataTypeName(spec.dtype) + " " + ShapeToString(spec.shape) +
                              " but the FPGA model '" + path + "' takes " + want +
                              " (signature.json layers)");
  }
  return OkStatus();
}

Status CheckSignature(const Signature& s, const FpgaArtifact& a, const std::string& path) {
  if (s.inputs.size() != 1 || s.outputs.size() != 1) {
    return FailedPrecondition("the FPGA model '" + path +
                              "' has one input and one output; the inference config declares " +
                              std::to_string(s.inputs.size()) + " and " +
                              std::to_string(s.outputs.size()));
  }
  SKIFF_RETURN_IF_ERROR(CheckTensor(s.inputs[0], "input", a.layers.front().in, path));
  return CheckTensor(s.outputs[0], "output", a.layers.back().out, path);
}

// Everything that can be checked from the files, before opening the card.
StatusOr<XclbinMetadata> CheckXclbin(const FpgaArtifact& a) {
  StatusOr<XclbinMetadata> meta = ReadXclbinMetadata(a.xclbin_bytes);
  if (!meta.ok()) return meta.status().WithContext("xclbin '" + a.xclbin_path + "'");
  if (!a.platform.empty() && meta->platform != a.platform) {
    return FailedPrecondition("xclbin '" + a.xclbin_path + "' is built for platform '" +
                              meta->platform + "' but signature.json pins platform '" + a.platform +
                              "'; rebuild for the card or fix `$.platform`");
  }
  if (a.uuid && *a.uuid != meta->uuid) {
    return FailedPrecondition("xclbin '" + a.xclbin_path + "' has UUID " +
                              UuidToString(meta->uuid) + " but signature.json pins " +
                              UuidToString(*a.uuid) +
                              "; the artifact mixes files from different builds");
  }
  SKIFF_RETURN_IF_ERROR(CheckKernel(*meta, a.xclbin_path, a.kernel, MlpDenseArgs()).status());
  return meta;
}

}  // namespace

StatusOr<std::unique_ptr<FpgaModel>> FpgaModel::Load(const ModelLoadOptions& options,
                                                     std::shared_ptr<Runtime> runtime) {
  std::unique_ptr<FpgaModel> m(new FpgaModel());
  SKIFF_ASSIGN_OR_RETURN(m->options_, ParseFpgaOptions(options));
  SKIFF_ASSIGN_OR_RETURN(m->artifact_, ReadArtifact(options.artifact_path));
  const FpgaArtifact& a = m->artifact_;
  SKIFF_ASSIGN_OR_RETURN(XclbinMetadata meta, CheckXclbin(a));
  SKIFF_RETURN_IF_ERROR(CheckSignature(options.signature, a, options.artifact_path));
  m->signature_ = options.signature;

  m->runtime_ = std::move(runtime);
  SKIFF_ASSIGN_OR_RETURN(m->device_, m->runtime_->Open(m->options_.device));
  SKIFF_ASSIGN_OR_RETURN(XclbinUuid loaded, m->device_->LoadXclbin(a.xclbin_path));
  if (loaded != meta.uuid) {
    return FailedPrecondition("FPGA device '" + m->options_.device.ToString() + "' reports UUID " +
                              UuidToString(loaded) + " after loading '" + a.xclbin_path +
                              "', whose header says " + UuidToString(meta.uuid));
  }
  SKIFF_ASSIGN_OR_RETURN(m->kernel_, m->device_->OpenKernel(a.kernel));
  SKIFF_ASSIGN_OR_RETURN(BufferSet buffers, BufferSet::Create(*m->kernel_, a));
  m->buffers_ = std::make_unique<BufferSet>(std::move(buffers));
  return m;
}

Status FpgaModel::Warmup() {
  Tensor zeros;
  zeros.name = signature_.inputs[0].name;
  zeros.shape = {1, artifact_.layers.front().in};
  zeros.data.assign(static_cast<size_t>(artifact_.layers.front().in) * sizeof(float), 0);
  StatusOr<std::vector<Tensor>> out = Score({zeros});
  return out.ok() ? OkStatus() : out.status().WithContext("warm-up of the FPGA model");
}

StatusOr<std::vector<Tensor>> FpgaModel::Score(const std::vector<Tensor>& inputs) {
  SKIFF_RETURN_IF_ERROR(CheckInputs(signature_, inputs));
  const Tensor& in = inputs[0];
  const int64_t rows = in.shape[0];
  std::vector<float> input(in.data.size() / sizeof(float));
  if (!input.empty()) std::memcpy(input.data(), in.data.data(), in.data.size());
  SKIFF_ASSIGN_OR_RETURN(std::vector<float> result, RunMlp(*kernel_, *buffers_, artifact_,
                                                           input.data(), rows, options_.timeout));
  Tensor out;
  out.name = signature_.outputs[0].name;
  out.dtype = DataType::kFp32;
  out.shape = {rows, artifact_.layers.back().out};
  out.data.resize(result.size() * sizeof(float));
  if (!result.empty()) std::memcpy(out.data.data(), result.data(), out.data.size());
  return std::vector<Tensor>{std::move(out)};
}

}  // namespace skiff::accel_fpga
