// SPDX-License-Identifier: Apache-2.0
#include "xrt_runtime.h"

#include <algorithm>

#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

#include <cstdint>
#include <cstring>
#include <exception>

namespace skiff::accel_fpga {
namespace {

// Runs `body`, turning any XRT exception into `code` with `context`.
template <typename F>
auto Guard(StatusCode code, const std::string& context, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status(code, context + ": " + e.what());
  } catch (...) {
    return Status(code, context + ": unknown XRT error");
  }
}

const char* StateName(ert_cmd_state state) {
  switch (state) {
    case ERT_CMD_STATE_NEW:
      return "NEW";
    case ERT_CMD_STATE_QUEUED:
      return "QUEUED";
    case ERT_CMD_STATE_RUNNING:
      return "RUNNING";
    case ERT_CMD_STATE_COMPLETED:
      return "COMPLETED";
    case ERT_CMD_STATE_ERROR:
      return "ERROR";
    case ERT_CMD_STATE_ABORT:
      return "ABORT";
    case ERT_CMD_STATE_TIMEOUT:
      return "TIMEOUT";
    case ERT_CMD_STATE_NORESPONSE:
      return "NORESPONSE";
    default:
      return "UNKNOWN";
  }
}

// The host side of an xrt::bo is page-aligned; XRT 2.13 allocates it with
// aligned_alloc(4096, size), which C11 only defines for sizes that are a
// multiple of 4096 (ASan refuses others). Buffers are therefore allocated in
// whole pages; size() is the size asked for.
constexpr size_t kXrtPage = 4096;

class XrtBuffer final : public Buffer {
 public:
  XrtBuffer(xrt::bo bo, size_t size) : bo_(std::move(bo)), size_(size) {}
  size_t size() const override { return size_; }
  Status Write(const void* src, size_t bytes, size_t offset) override {
    if (offset > size() || bytes > size() - offset)
      return Internal("xrt::bo write of " + std::to_string(bytes) + " bytes at " +
                      std::to_string(offset) + " runs past the " + std::to_string(size()) +
                      "-byte buffer");
    return Guard(StatusCode::kInternal, "xrt::bo::write", [&]() -> Status {
      bo_.write(src, bytes, offset);
      return OkStatus();
    });
  }
  Status Read(void* dst, size_t bytes, size_t offset) override {
    if (offset > size() || bytes > size() - offset)
      return Internal("xrt::bo read of " + std::to_string(bytes) + " bytes at " +
                      std::to_string(offset) + " runs past the " + std::to_string(size()) +
                      "-byte buffer");
    return Guard(StatusCode::kInternal, "xrt::bo::read", [&]() -> Status {
      bo_.read(dst, bytes, offset);
      return OkStatus();
    });
  }
  Status Sync(SyncDirection direction) override {
    return Guard(StatusCode::kInternal, "xrt::bo::sync", [&]() -> Status {
      bo_.sync(direction == SyncDirection::kToDevice ? XCL_BO_SYNC_BO_TO_DEVICE
                                                     : XCL_BO_SYNC_BO_FROM_DEVICE);
      return OkStatus();
    });
  }
  xrt::bo& bo() { return bo_; }

 private:
  xrt::bo bo_;
  const size_t size_;
};

class XrtKernel final : public Kernel {
 public:
  XrtKernel(xrt::device device, xrt::kernel kernel, std::string name)
      : device_(std::move(device)), kernel_(std::move(kernel)), name_(std::move(name)) {}

  StatusOr<int32_t> GroupId(int32_t arg) override {
    return Guard(
        StatusCode::kFailedPrecondition,
        "kernel '" + name_ + "': memory group of argument " + std::to_string(arg),
        [&]() -> StatusOr<int32_t> { return static_cast<int32_t>(kernel_.group_id(arg)); });
  }

  StatusOr<std::unique_ptr<Buffer>> Allocate(size_t bytes, int32_t group) override {
    return Guard(StatusCode::kResourceExhausted,
                 "cannot allocate " + std::to_string(bytes) + " bytes in memory group " +
                     std::to_string(group),
                 [&]() -> StatusOr<std::unique_ptr<Buffer>> {
                   if (bytes > SIZE_MAX - kXrtPage) {
                     return ResourceExhausted("a buffer of " + std::to_string(bytes) +
                                              " bytes is larger than any device memory");
                   }
                   const size_t pages = (std::max<size_t>(bytes, 1) + kXrtPage - 1) / kXrtPage;
                   xrt::bo bo(device_, pages * kXrtPage, xrt::bo::flags::normal,
                              static_cast<xrt::memory_group>(group));
                   return std::unique_ptr<Buffer>(new XrtBuffer(std::move(bo), bytes));
                 });
  }

  StatusOr<RunResult> Run(const std::vector<KernelArg>& args,
                          std::chrono::milliseconds timeout) override {
    return Guard(StatusCode::kInternal, "kernel '" + name_ + "' run", [&]() -> StatusOr<RunResult> {
      xrt::run run(kernel_);
      for (size_t i = 0; i < args.size(); ++i) {
        const int index = static_cast<int>(i);
        if (const auto* buffer = std::get_if<Buffer*>(&args[i])) {
          run.set_arg(index, static_cast<XrtBuffer*>(*buffer)->bo());
        } else {
          run.set_arg(index, std::get<int32_t>(args[i]));
        }
      }
      run.start();
      const ert_cmd_state state = run.wait(timeout);
      if (state == ERT_CMD_STATE_COMPLETED) return RunResult::kCompleted;
      if (state == ERT_CMD_STATE_NEW || state == ERT_CMD_STATE_QUEUED ||
          state == ERT_CMD_STATE_SUBMITTED || state == ERT_CMD_STATE_RUNNING ||
          state == ERT_CMD_STATE_TIMEOUT) {
        run.abort();
        return RunResult::kTimedOut;
      }
      return Internal("kernel '" + name_ + "' run ended in state " + StateName(state));
    });
  }

 private:
  xrt::device device_;
  xrt::kernel kernel_;
  const std::string name_;
};

class XrtDevice final : public Device {
 public:
  XrtDevice(xrt::device device, std::string label)
      : device_(std::move(device)), label_(std::move(label)) {}

  StatusOr<XclbinUuid> LoadXclbin(const std::string& path) override {
    return Guard(StatusCode::kFailedPrecondition,
                 "FPGA device " + label_ + " refused xclbin '" + path + "'",
                 [&]() -> StatusOr<XclbinUuid> {
                   uuid_ = device_.load_xclbin(path);
                   XclbinUuid out;
                   std::memcpy(out.data(), uuid_.get(), out.size());
                   return out;
                 });
  }

  StatusOr<std::unique_ptr<Kernel>> OpenKernel(const std::string& name) override {
    return Guard(StatusCode::kFailedPrecondition,
                 "FPGA device " + label_ + ": cannot open kernel '" + name + "'",
                 [&]() -> StatusOr<std::unique_ptr<Kernel>> {
                   xrt::kernel kernel(device_, uuid_, name);
                   return std::unique_ptr<Kernel>(new XrtKernel(device_, std::move(kernel), name));
                 });
  }

 private:
  xrt::device device_;
  const std::string label_;
  xrt::uuid uuid_;
};

class XrtRuntime final : public Runtime {
 public:
  StatusOr<std::unique_ptr<Device>> Open(const DeviceSpec& spec) override {
    const std::string label = "'" + spec.ToString() + "'";
    return Guard(StatusCode::kFailedPrecondition,
                 "cannot open FPGA device " + label +
                     " (check that the card is present and XILINX_XRT is set; without a card "
                     "set XCL_EMULATION_MODE=noop, see docs/accel-fpga.md)",
                 [&]() -> StatusOr<std::unique_ptr<Device>> {
                   xrt::device device =
                       spec.by_bdf ? xrt::device(spec.bdf) : xrt::device(spec.index);
                   return std::unique_ptr<Device>(new XrtDevice(std::move(device), label));
                 });
  }
};

}  // namespace

std::unique_ptr<Runtime> MakeXrtRuntime() { return std::make_unique<XrtRuntime>(); }

}  // namespace skiff::accel_fpga
