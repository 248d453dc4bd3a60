// SPDX-License-Identifier: Apache-2.0
// Device selection for the torch accelerator.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>

#include "skiff/status.h"

namespace skiff::accel_gpu {

// Resolves ModelLoadOptions.device:
//   "auto" (or "")  CUDA when torch::cuda::is_available(), else CPU;
//   "cpu";
//   "cuda"          CUDA, device (replica_index % device count), spreading
//                   replicas over the visible GPUs (also used by "auto");
//   "cuda:N"        exactly device N.
// Errors: kInvalidArgument for an unknown spelling; kFailedPrecondition when
// CUDA is requested but unavailable or device N does not exist.
// Threading: safe to call concurrently.
StatusOr<c10::Device> SelectDevice(const std::string& spec, int32_t replica_index);

}  // namespace skiff::accel_gpu
