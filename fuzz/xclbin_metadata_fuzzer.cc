// SPDX-License-Identifier: Apache-2.0
// The accel-fpga xclbin reader (ReadXclbinMetadata, its XML scanner) and the
// kernel check on arbitrary bytes: no crash, no unbounded allocation, and a
// file that reads stays within the reader's caps.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel_check.h"
#include "mlp_kernel_abi.h"
#include "xclbin_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skiff::accel_fpga;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto metadata = ReadXclbinMetadata(bytes);
  if (!metadata.ok()) return 0;
  if (metadata->banks.size() > kMaxXclbinEntries || metadata->ips.size() > kMaxXclbinEntries ||
      metadata->connections.size() > kMaxXclbinEntries) {
    __builtin_trap();
  }
  (void)UuidToString(metadata->uuid);
  for (const KernelMeta& k : metadata->kernels) {
    (void)CheckKernel(*metadata, "fuzz.xclbin", k.name, MlpDenseArgs());
  }
  (void)CheckKernel(*metadata, "fuzz.xclbin", "mlp_dense", MlpDenseArgs());
  return 0;
}
