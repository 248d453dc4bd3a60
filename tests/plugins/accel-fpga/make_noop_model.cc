// SPDX-License-Identifier: Apache-2.0
// make_fpga_noop_model <dir>: writes an FPGA model folder (a loadable
// mlp_dense model.xclbin for XRT's no-op device, weights.bin for a
// 4 -> 16 (ReLU) -> 3 MLP, signature.json) for trying the fpga accelerator
// without a card (docs/accel-fpga.md).
#include <cstdio>

#include "xclbin_writer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
    return 2;
  }
  skiff::accel_fpga::test::WriteModelFolder(argv[1], {{4, 16, true}, {16, 3, false}}, 4);
  std::printf("wrote %s/{model.xclbin,weights.bin,signature.json}\n", argv[1]);
  return 0;
}
