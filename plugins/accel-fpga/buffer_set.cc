// SPDX-License-Identifier: Apache-2.0
#include "buffer_set.h"

#include "mlp_kernel_abi.h"

namespace skiff::accel_fpga {
namespace {

StatusOr<std::unique_ptr<Buffer>> Upload(Kernel& kernel, const std::vector<float>& data,
                                         int32_t group) {
  const size_t bytes = data.size() * sizeof(float);
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Buffer> buffer, kernel.Allocate(bytes, group));
  SKIFF_RETURN_IF_ERROR(buffer->Write(data.data(), bytes, 0));
  SKIFF_RETURN_IF_ERROR(buffer->Sync(SyncDirection::kToDevice));
  return buffer;
}

}  // namespace

StatusOr<BufferSet> BufferSet::Create(Kernel& kernel, const FpgaArtifact& a) {
  SKIFF_ASSIGN_OR_RETURN(int32_t in_group, kernel.GroupId(kArgIn));
  SKIFF_ASSIGN_OR_RETURN(int32_t w_group, kernel.GroupId(kArgW));
  SKIFF_ASSIGN_OR_RETURN(int32_t b_group, kernel.GroupId(kArgB));
  SKIFF_ASSIGN_OR_RETURN(int32_t out_group, kernel.GroupId(kArgOut));
  if (a.layers.size() > 1 && in_group != out_group) {
    return FailedPrecondition("kernel '" + a.kernel + "' has `in` in memory group " +
                              std::to_string(in_group) + " and `out` in group " +
                              std::to_string(out_group) +
                              "; a multi-layer model feeds each layer's output to the next "
                              "layer's input and needs both in one bank (link with "
                              "--connectivity.sp for `in` and `out` to the same DDR/HBM bank)");
  }
  BufferSet set;
  const size_t rows = static_cast<size_t>(a.max_batch);
  for (size_t i = 0; i <= a.layers.size(); ++i) {
    const size_t dim = i == 0 ? a.layers[0].in : a.layers[i - 1].out;
    const int32_t group = i == a.layers.size() ? out_group : in_group;
    SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Buffer> act,
                           kernel.Allocate(rows * dim * sizeof(float), group));
    set.activations_.push_back(std::move(act));
  }
  for (size_t l = 0; l < a.layers.size(); ++l) {
    SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Buffer> w, Upload(kernel, a.weights[l], w_group));
    SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Buffer> b, Upload(kernel, a.biases[l], b_group));
    set.weights_.push_back(std::move(w));
    set.biases_.push_back(std::move(b));
  }
  return set;
}

}  // namespace skiff::accel_fpga
