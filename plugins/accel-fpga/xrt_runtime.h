// SPDX-License-Identifier: Apache-2.0
// Runtime on XRT (libxrt_coreutil): the real card, or XRT's no-op device
// when XCL_EMULATION_MODE=noop (docs/accel-fpga.md). The only file that
// includes XRT headers; every XRT exception becomes a Status here.
#pragma once

#include <memory>

#include "fpga_runtime.h"

namespace skiff::accel_fpga {

std::unique_ptr<Runtime> MakeXrtRuntime();

}  // namespace skiff::accel_fpga
