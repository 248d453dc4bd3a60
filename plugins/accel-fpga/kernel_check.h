// SPDX-License-Identifier: Apache-2.0
// Load-time check of an xclbin's kernel against the argument list the host
// code binds (mlp_kernel_abi.h): kernel and compute unit present, argument
// count, kind (buffer/scalar) and type, and a used memory bank per buffer.
#pragma once

#include <string>
#include <vector>

#include "skiff/status.h"
#include "xclbin_metadata.h"

namespace skiff::accel_fpga {

// One argument as the host binds it.
struct ExpectedArg {
  const char* name;
  bool buffer;       // global memory pointer (addressQualifier 1) vs scalar (0)
  const char* type;  // C type as v++ records it: "float*", "int"
};

// What the check found, for the buffer set.
struct KernelLayout {
  std::string compute_unit;       // "<kernel>:<instance>" of the first CU
  std::vector<std::string> bank;  // memory bank tag per argument ("" for scalars)
};

// `file` names the xclbin in messages. Errors are kFailedPrecondition and
// name the xclbin, kernel, argument and expected value.
// Threading: safe to call concurrently.
StatusOr<KernelLayout> CheckKernel(const XclbinMetadata& metadata, const std::string& file,
                                   const std::string& kernel,
                                   const std::vector<ExpectedArg>& expected);

}  // namespace skiff::accel_fpga
