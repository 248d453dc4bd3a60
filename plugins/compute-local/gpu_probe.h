// SPDX-License-Identifier: Apache-2.0
// How many CUDA devices this machine shows to a process started from here:
// the CUDA driver's own count (libcuda.so.1, dlopen'ed, cuInit +
// cuDeviceGetCount), so CUDA_VISIBLE_DEVICES is honoured as the server will
// see it. The local target links no CUDA and no torch; this is the one
// slice of the driver API it uses.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

// The visible CUDA devices, or kFailedPrecondition saying why there are
// none to be had (no driver library, cuInit failed with its code).
// Threading: any thread.
StatusOr<int> CountCudaDevices();

}  // namespace skiff::compute_local
