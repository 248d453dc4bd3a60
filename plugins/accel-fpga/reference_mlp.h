// SPDX-License-Identifier: Apache-2.0
// Host-side reference of kernels/mlp_dense.cpp: the same loops, layout and
// float32 accumulation order, so a card's results can be checked against it
// (tests compare it with the same MLP in libtorch).
#pragma once

#include <cstdint>
#include <vector>

#include "artifact.h"

namespace skiff::accel_fpga {

// out[r][o] = act(b[o] + sum_i in[r][i] * w[o][i]); act = max(0, .) when relu.
// `in` holds batch * in_dim floats, `w` out_dim * in_dim, `b` out_dim.
void ReferenceDense(const float* in, const float* w, const float* b, float* out, int32_t batch,
                    int32_t in_dim, int32_t out_dim, bool relu);

// Chains ReferenceDense over the artifact's layers for `rows` input rows.
std::vector<float> ReferenceMlp(const FpgaArtifact& artifact, const std::vector<float>& input,
                                int64_t rows);

}  // namespace skiff::accel_fpga
