// SPDX-License-Identifier: Apache-2.0
// The device buffers of one loaded MLP: activations act[0..L] (act[0] the
// input, act[L] the output, act[i] both the output of layer i-1 and the input
// of layer i), and per layer a weight and a bias buffer, each in the memory
// group the kernel reports for its argument (xrt::kernel::group_id).
#pragma once

#include <memory>
#include <vector>

#include "artifact.h"
#include "fpga_runtime.h"

namespace skiff::accel_fpga {

class BufferSet {
 public:
  // Allocates every buffer for `artifact.max_batch` rows, writes the weights
  // and biases and syncs them to the device once. Errors: a multi-layer
  // model whose kernel has `in` and `out` in different groups
  // (kFailedPrecondition: the chain needs one bank), allocation failures.
  // Threading: call once per replica.
  static StatusOr<BufferSet> Create(Kernel& kernel, const FpgaArtifact& artifact);

  Buffer& activation(size_t i) { return *activations_[i]; }
  Buffer& weight(size_t layer) { return *weights_[layer]; }
  Buffer& bias(size_t layer) { return *biases_[layer]; }
  size_t layers() const { return weights_.size(); }

 private:
  std::vector<std::unique_ptr<Buffer>> activations_, weights_, biases_;
};

}  // namespace skiff::accel_fpga
