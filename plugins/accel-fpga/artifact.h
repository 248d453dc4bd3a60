// SPDX-License-Identifier: Apache-2.0
// The FPGA model artifact: a folder (registered with `skiff model register
// -p <folder>`) holding
//   model.xclbin    the bitstream with the mlp_dense kernel (kernels/README.md)
//   weights.bin     float32 little-endian, per layer W[out][in] then b[out]
//   signature.json  kernel name, layers, batch capacity, optional platform
//                   and xclbin UUID pins (docs/accel-fpga.md)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "skiff/status.h"
#include "xclbin_metadata.h"

namespace skiff::accel_fpga {

struct LayerSpec {
  int32_t in = 0, out = 0;
  bool relu = false;
};

struct FpgaArtifact {
  std::string xclbin_path;
  std::string xclbin_bytes;
  std::string kernel = "mlp_dense";
  std::string platform;                             // "" = any
  std::optional<XclbinUuid> uuid;                   // nullopt = any
  int32_t max_batch = 64;                           // rows per kernel run
  std::vector<LayerSpec> layers;                    // chained: layers[i].out == layers[i+1].in
  std::vector<std::vector<float>> weights, biases;  // per layer
};

inline constexpr int32_t kMaxLayerDim = 1 << 16;
inline constexpr int32_t kMaxBatchLimit = 1 << 16;

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (or 32 hex digits) -> bytes.
std::optional<XclbinUuid> ParseUuid(const std::string& text);

// Reads and validates the folder. Errors: kNotFound (a missing file, named),
// kInvalidArgument (bad signature.json field, named by JSON path; weights.bin
// of the wrong size, with the expected size).
// Threading: safe to call concurrently.
StatusOr<FpgaArtifact> ReadArtifact(const std::string& dir);

}  // namespace skiff::accel_fpga
