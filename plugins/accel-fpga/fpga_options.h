// SPDX-License-Identifier: Apache-2.0
// Device selection and run settings of the fpga accelerator, from the
// inference config's "acceleratorOptions" (docs/accel-fpga.md):
//   "device":    card index (0, "1") or PCIe BDF ("0000:65:00.1"); default 0
//   "timeoutMs": how long one kernel run may take before the batch fails
//                with kDeadlineExceeded; default 10000, 1 to 3600000
// The inference config's own "device" must stay "auto" (its other values
// are GPU/CPU placements).
#pragma once

#include <chrono>
#include <string>

#include "fpga_runtime.h"
#include "skiff/accelerator.h"

namespace skiff::accel_fpga {

struct FpgaOptions {
  DeviceSpec device;
  std::chrono::milliseconds timeout{10000};
};

// Parses a device as written in "acceleratorOptions.device" (the JSON value
// as text: `0`, `"1"`, `"0000:65:00.1"`). Errors: kInvalidArgument naming the
// field and the accepted forms.
StatusOr<DeviceSpec> ParseDeviceSpec(const std::string& text);

// Errors: kInvalidArgument naming `$.acceleratorOptions.<key>` or `$.device`.
// Threading: safe to call concurrently.
StatusOr<FpgaOptions> ParseFpgaOptions(const ModelLoadOptions& options);

}  // namespace skiff::accel_fpga
