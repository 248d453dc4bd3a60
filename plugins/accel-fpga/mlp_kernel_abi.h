// SPDX-License-Identifier: Apache-2.0
// The host side of kernels/mlp_dense.cpp: the argument list the plugin binds,
// in order. Keep in sync with the kernel's signature.
#pragma once

#include <vector>

#include "kernel_check.h"

namespace skiff::accel_fpga {

enum MlpDenseArg : int {
  kArgIn = 0,   // const float* [batch][in_dim]
  kArgW = 1,    // const float* [out_dim][in_dim] (torch nn.Linear layout)
  kArgB = 2,    // const float* [out_dim]
  kArgOut = 3,  // float* [batch][out_dim]
  kArgBatch = 4,
  kArgInDim = 5,
  kArgOutDim = 6,
  kArgRelu = 7,  // 1: out = max(0, .)
  kMlpDenseArgCount = 8,
};

inline const std::vector<ExpectedArg>& MlpDenseArgs() {
  static const std::vector<ExpectedArg> args = {
      {"in", true, "float*"},    {"w", true, "float*"},   {"b", true, "float*"},
      {"out", true, "float*"},   {"batch", false, "int"}, {"in_dim", false, "int"},
      {"out_dim", false, "int"}, {"relu", false, "int"},
  };
  return args;
}

}  // namespace skiff::accel_fpga
