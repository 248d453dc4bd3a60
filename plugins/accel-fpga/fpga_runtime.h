// SPDX-License-Identifier: Apache-2.0
// The slice of XRT the plugin uses, behind interfaces: the real
// implementation is xrt_runtime.h; tests add a recording fake so sync order,
// timeouts and batch splitting can be checked without a card (XRT's no-op
// device never writes outputs and ignores wait timeouts).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "skiff/status.h"
#include "xclbin_metadata.h"

namespace skiff::accel_fpga {

enum class SyncDirection { kToDevice, kFromDevice };

// A buffer object in one memory bank of the card, with a host mirror.
class Buffer {
 public:
  virtual ~Buffer();
  virtual size_t size() const = 0;
  // Host mirror <-> caller memory; `offset + bytes` must be <= size().
  virtual Status Write(const void* src, size_t bytes, size_t offset) = 0;
  virtual Status Read(void* dst, size_t bytes, size_t offset) = 0;
  // Host mirror <-> device memory, the whole buffer.
  virtual Status Sync(SyncDirection direction) = 0;
};

// A kernel argument: a buffer or a 32-bit scalar.
using KernelArg = std::variant<Buffer*, int32_t>;

enum class RunResult { kCompleted, kTimedOut };

// One kernel of the loaded xclbin. Threading: one user at a time (one replica).
class Kernel {
 public:
  virtual ~Kernel();
  // Memory bank group of buffer argument `arg` (xrt::kernel::group_id).
  virtual StatusOr<int32_t> GroupId(int32_t arg) = 0;
  // Allocates `bytes` in memory group `group`.
  virtual StatusOr<std::unique_ptr<Buffer>> Allocate(size_t bytes, int32_t group) = 0;
  // Starts one run with `args` (one per kernel argument, in order) and waits
  // up to `timeout`; on kTimedOut the run has been asked to abort. Errors:
  // the run ended in a state other than completed (kInternal, naming it).
  virtual StatusOr<RunResult> Run(const std::vector<KernelArg>& args,
                                  std::chrono::milliseconds timeout) = 0;
};

// An opened card with an xclbin loaded.
class Device {
 public:
  virtual ~Device();
  // Loads the xclbin file; returns the UUID the runtime reports for it.
  virtual StatusOr<XclbinUuid> LoadXclbin(const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<Kernel>> OpenKernel(const std::string& name) = 0;
};

// Where to find the card: an index, or a PCIe BDF ("0000:65:00.1").
struct DeviceSpec {
  bool by_bdf = false;
  uint32_t index = 0;
  std::string bdf;
  std::string ToString() const { return by_bdf ? bdf : std::to_string(index); }
};

// Opens cards. Threading: Open may be called concurrently.
class Runtime {
 public:
  virtual ~Runtime();
  // Errors: kFailedPrecondition naming the device and the environment to check.
  virtual StatusOr<std::unique_ptr<Device>> Open(const DeviceSpec& spec) = 0;
};

}  // namespace skiff::accel_fpga
