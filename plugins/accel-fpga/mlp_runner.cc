// SPDX-License-Identifier: Apache-2.0
#include "mlp_runner.h"

#include <algorithm>

namespace skiff::accel_fpga {

StatusOr<std::vector<float>> RunMlp(Kernel& kernel, BufferSet& buffers, const FpgaArtifact& a,
                                    const float* input, int64_t rows,
                                    std::chrono::milliseconds timeout) {
  const size_t in_dim = static_cast<size_t>(a.layers.front().in);
  const size_t out_dim = static_cast<size_t>(a.layers.back().out);
  const size_t layers = a.layers.size();
  std::vector<float> output(static_cast<size_t>(rows) * out_dim);
  std::vector<char> zeros;
  for (int64_t done = 0; done < rows;) {
    const int64_t n = std::min<int64_t>(rows - done, a.max_batch);
    Buffer& in = buffers.activation(0);
    SKIFF_RETURN_IF_ERROR(in.Write(input + done * in_dim, n * in_dim * sizeof(float), 0));
    SKIFF_RETURN_IF_ERROR(in.Sync(SyncDirection::kToDevice));
    for (size_t i = 1; i <= layers; ++i) {
      Buffer& act = buffers.activation(i);
      zeros.assign(act.size(), 0);
      SKIFF_RETURN_IF_ERROR(act.Write(zeros.data(), zeros.size(), 0));
      SKIFF_RETURN_IF_ERROR(act.Sync(SyncDirection::kToDevice));
    }
    for (size_t l = 0; l < layers; ++l) {
      const LayerSpec& spec = a.layers[l];
      const std::vector<KernelArg> args = {&buffers.activation(l),
                                           &buffers.weight(l),
                                           &buffers.bias(l),
                                           &buffers.activation(l + 1),
                                           static_cast<int32_t>(n),
                                           spec.in,
                                           spec.out,
                                           static_cast<int32_t>(spec.relu ? 1 : 0)};
      SKIFF_ASSIGN_OR_RETURN(RunResult result, kernel.Run(args, timeout));
      if (result == RunResult::kTimedOut) {
        return DeadlineExceeded("kernel '" + a.kernel + "' (layer " + std::to_string(l) + ", " +
                                std::to_string(n) + " rows) did not finish within " +
                                std::to_string(timeout.count()) +
                                " ms; the run was aborted (raise acceleratorOptions.timeoutMs "
                                "if the card is just slow)");
      }
    }
    Buffer& out = buffers.activation(layers);
    SKIFF_RETURN_IF_ERROR(out.Sync(SyncDirection::kFromDevice));
    SKIFF_RETURN_IF_ERROR(out.Read(output.data() + done * out_dim, n * out_dim * sizeof(float), 0));
    done += n;
  }
  return output;
}

}  // namespace skiff::accel_fpga
