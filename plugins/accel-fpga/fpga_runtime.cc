// SPDX-License-Identifier: Apache-2.0
#include "fpga_runtime.h"

namespace skiff::accel_fpga {

Buffer::~Buffer() = default;
Kernel::~Kernel() = default;
Device::~Device() = default;
Runtime::~Runtime() = default;

}  // namespace skiff::accel_fpga
