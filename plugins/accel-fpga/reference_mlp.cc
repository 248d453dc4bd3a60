// SPDX-License-Identifier: Apache-2.0
#include "reference_mlp.h"

namespace skiff::accel_fpga {

void ReferenceDense(const float* in, const float* w, const float* b, float* out, int32_t batch,
                    int32_t in_dim, int32_t out_dim, bool relu) {
  for (int32_t r = 0; r < batch; ++r) {
    for (int32_t o = 0; o < out_dim; ++o) {
      float acc = b[o];
      for (int32_t i = 0; i < in_dim; ++i) {
        acc += in[int64_t{r} * in_dim + i] * w[int64_t{o} * in_dim + i];
      }
      out[int64_t{r} * out_dim + o] = relu && acc < 0.0f ? 0.0f : acc;
    }
  }
}

std::vector<float> ReferenceMlp(const FpgaArtifact& a, const std::vector<float>& input,
                                int64_t rows) {
  std::vector<float> act = input;
  for (size_t l = 0; l < a.layers.size(); ++l) {
    const LayerSpec& s = a.layers[l];
    std::vector<float> next(static_cast<size_t>(rows) * static_cast<size_t>(s.out));
    ReferenceDense(act.data(), a.weights[l].data(), a.biases[l].data(), next.data(),
                   static_cast<int32_t>(rows), s.in, s.out, s.relu);
    act = std::move(next);
  }
  return act;
}

}  // namespace skiff::accel_fpga
