// SPDX-License-Identifier: Apache-2.0
// The run loop: scores `rows` input rows through the MLP on the card,
// max_batch rows per kernel run.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "artifact.h"
#include "buffer_set.h"
#include "fpga_runtime.h"

namespace skiff::accel_fpga {

// For each chunk of at most `artifact.max_batch` rows:
//   write the chunk into act[0] and sync it to the device;
//   zero act[1..L] and sync them to the device (so a kernel that writes
//   nothing, like XRT's no-op device, yields zeros, not stale data);
//   per layer run the kernel (in, w, b, out, rows, in_dim, out_dim, relu)
//   and wait up to `timeout`;
//   sync act[L] from the device and read the chunk's outputs.
// `input` holds rows * layers[0].in floats; returns rows * layers.back().out.
// Errors: kDeadlineExceeded when a run does not finish in time (naming the
// layer and acceleratorOptions.timeoutMs); runtime errors as they come.
// Threading: one caller per BufferSet.
StatusOr<std::vector<float>> RunMlp(Kernel& kernel, BufferSet& buffers,
                                    const FpgaArtifact& artifact, const float* input, int64_t rows,
                                    std::chrono::milliseconds timeout);

}  // namespace skiff::accel_fpga
