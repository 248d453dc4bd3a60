// SPDX-License-Identifier: Apache-2.0
// A recording fake of fpga_runtime.h. Buffers keep a host mirror and a
// separate "device" copy that only Sync() moves between, and a run of
// mlp_dense computes on the device copies with ReferenceDense, so a missing
// or misdirected sync shows up as wrong numbers, not just a missing log line.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fpga_runtime.h"

namespace skiff::accel_fpga::test {

struct FakeState {
  // Settings.
  bool fail_open = false;
  bool compute = true;      // run mlp_dense on the device copies
  int timeout_on_run = -1;  // this run (0-based, over the fake's life) times out
  std::vector<int32_t> group_ids = {0, 0, 0, 0};
  std::unique_ptr<XclbinUuid> reported_uuid;  // LoadXclbin's answer; null = the file's
  // Record.
  std::vector<std::string>
      log;  // "alloc #0 64B g0", "write #0 16B", "sync #0 to", "run ...", "abort"
  int runs = 0;
  DeviceSpec opened;
  std::string loaded_xclbin, opened_kernel;
};

std::shared_ptr<Runtime> MakeFakeRuntime(std::shared_ptr<FakeState> state);

}  // namespace skiff::accel_fpga::test
