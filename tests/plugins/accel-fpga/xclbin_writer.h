// SPDX-License-Identifier: Apache-2.0
// Test helper: writes minimal .xclbin files (and whole FPGA model folders)
// with the real structs of /usr/include/xrt/xclbin.h, loadable by XRT's no-op
// device (docs/accel-fpga.md), with knobs to break each part the plugin checks.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "artifact.h"

namespace skiff::accel_fpga::test {

struct ArgDesc {
  std::string name;
  int address_qualifier;  // 1 buffer, 0 scalar
  std::string type;       // "" = omit the attribute
};

// The mlp_dense argument list as v++ would record it.
std::vector<ArgDesc> MlpDenseArgDescs();

struct XclbinSpec {
  std::string platform = "xilinx_u250_gen3x16_xdma_4_1_202210_1";
  std::array<uint8_t, 16> uuid = {0x5f, 0x1e, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55,
                                  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd};
  std::string kernel = "mlp_dense";                    // in EMBEDDED_METADATA
  std::string compute_unit = "mlp_dense:mlp_dense_1";  // in IP_LAYOUT
  std::vector<ArgDesc> args = MlpDenseArgDescs();
  // Memory bank (index into MEM_TOPOLOGY) per argument; buffer args only,
  // -1 = leave unconnected. Default: every buffer in bank 0.
  std::vector<int> bank = {0, 0, 0, 0};
  int banks = 2;         // DDR[0], DDR[1], ...
  int unused_bank = -1;  // this bank gets m_used = 0
  bool mem_topology = true, ip_layout = true, connectivity = true, metadata = true;
};

std::string XclbinBytes(const XclbinSpec& spec);

// A model folder: model.xclbin from `spec`, weights.bin and signature.json
// for `layers` with deterministic weights (returned in `artifact`).
struct ModelFolder {
  std::string dir;
  FpgaArtifact artifact;  // what ReadArtifact should give back
};
ModelFolder WriteModelFolder(const std::string& dir, const std::vector<LayerSpec>& layers,
                             int32_t max_batch, const XclbinSpec& spec = {},
                             const std::string& extra_signature_json = "");

// A temp dir whose lib -> /usr/lib/x86_64-linux-gnu, then XILINX_XRT=<it>
// and XCL_EMULATION_MODE=noop (before XRT is first used in the process).
void UseXrtNoopDevice();

std::string MakeTempDir();

}  // namespace skiff::accel_fpga::test

#include "skiff/accelerator.h"

namespace skiff::accel_fpga::test {

// Load options for a folder model with one FP32 input [-1, in] and one FP32
// output [-1, out]; `accelerator_options` is the acceleratorOptions object.
inline ModelLoadOptions LoadOptions(const std::string& dir, int64_t in, int64_t out,
                                    const std::string& accelerator_options = "{}") {
  ModelLoadOptions o;
  o.artifact_path = dir;
  o.signature.inputs = {{"input", DataType::kFp32, {-1, in}}};
  o.signature.outputs = {{"output", DataType::kFp32, {-1, out}}};
  o.inference_config_json =
      "{\"accelerator\": \"fpga\", \"acceleratorOptions\": " + accelerator_options + "}";
  return o;
}

inline Tensor FloatTensor(const std::string& name, std::vector<int64_t> shape,
                          const std::vector<float>& v) {
  Tensor t;
  t.name = name;
  t.dtype = DataType::kFp32;
  t.shape = std::move(shape);
  t.data.resize(v.size() * sizeof(float));
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

inline std::vector<float> Floats(const Tensor& t) {
  std::vector<float> v(t.data.size() / sizeof(float));
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

}  // namespace skiff::accel_fpga::test
