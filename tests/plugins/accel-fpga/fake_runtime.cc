// SPDX-License-Identifier: Apache-2.0
#include "fake_runtime.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "reference_mlp.h"

namespace skiff::accel_fpga::test {
namespace {

class FakeBuffer final : public Buffer {
 public:
  FakeBuffer(std::shared_ptr<FakeState> s, int id, size_t bytes)
      : s_(std::move(s)), id_(id), host_(bytes, 0x5a), device_(bytes, 0x5a) {}
  size_t size() const override { return host_.size(); }
  Status Write(const void* src, size_t bytes, size_t offset) override {
    if (offset + bytes > host_.size()) return Internal("fake: write past the end");
    std::memcpy(host_.data() + offset, src, bytes);
    s_->log.push_back("write #" + std::to_string(id_) + " " + std::to_string(bytes) + "B");
    return OkStatus();
  }
  Status Read(void* dst, size_t bytes, size_t offset) override {
    if (offset + bytes > host_.size()) return Internal("fake: read past the end");
    std::memcpy(dst, host_.data() + offset, bytes);
    s_->log.push_back("read #" + std::to_string(id_) + " " + std::to_string(bytes) + "B");
    return OkStatus();
  }
  Status Sync(SyncDirection d) override {
    if (d == SyncDirection::kToDevice)
      device_ = host_;
    else
      host_ = device_;
    s_->log.push_back("sync #" + std::to_string(id_) +
                      (d == SyncDirection::kToDevice ? " to" : " from"));
    return OkStatus();
  }
  int id() const { return id_; }
  float* device_floats() { return reinterpret_cast<float*>(device_.data()); }

 private:
  std::shared_ptr<FakeState> s_;
  int id_;
  std::vector<char> host_, device_;
};

class FakeKernel final : public Kernel {
 public:
  explicit FakeKernel(std::shared_ptr<FakeState> s) : s_(std::move(s)) {}
  StatusOr<int32_t> GroupId(int32_t arg) override {
    if (arg < 0 || static_cast<size_t>(arg) >= s_->group_ids.size()) {
      return FailedPrecondition("fake: no group for argument " + std::to_string(arg));
    }
    return s_->group_ids[static_cast<size_t>(arg)];
  }
  StatusOr<std::unique_ptr<Buffer>> Allocate(size_t bytes, int32_t group) override {
    s_->log.push_back("alloc #" + std::to_string(next_id_) + " " + std::to_string(bytes) + "B g" +
                      std::to_string(group));
    return std::unique_ptr<Buffer>(new FakeBuffer(s_, next_id_++, bytes));
  }
  StatusOr<RunResult> Run(const std::vector<KernelArg>& args,
                          std::chrono::milliseconds timeout) override {
    std::ostringstream line;
    line << "run";
    for (const KernelArg& a : args) {
      if (const auto* b = std::get_if<Buffer*>(&a))
        line << " #" << static_cast<FakeBuffer*>(*b)->id();
      else
        line << " " << std::get<int32_t>(a);
    }
    line << " t=" << timeout.count();
    s_->log.push_back(line.str());
    if (s_->runs++ == s_->timeout_on_run) {
      s_->log.push_back("abort");
      return RunResult::kTimedOut;
    }
    if (s_->compute && args.size() == 8) {
      auto buf = [&](size_t i) { return static_cast<FakeBuffer*>(std::get<Buffer*>(args[i])); };
      ReferenceDense(buf(0)->device_floats(), buf(1)->device_floats(), buf(2)->device_floats(),
                     buf(3)->device_floats(), std::get<int32_t>(args[4]),
                     std::get<int32_t>(args[5]), std::get<int32_t>(args[6]),
                     std::get<int32_t>(args[7]) != 0);
    }
    return RunResult::kCompleted;
  }

 private:
  std::shared_ptr<FakeState> s_;
  int next_id_ = 0;
};

class FakeDevice final : public Device {
 public:
  explicit FakeDevice(std::shared_ptr<FakeState> s) : s_(std::move(s)) {}
  StatusOr<XclbinUuid> LoadXclbin(const std::string& path) override {
    s_->loaded_xclbin = path;
    if (s_->reported_uuid) return *s_->reported_uuid;
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    XclbinUuid uuid{};
    if (bytes.size() >= 432) std::memcpy(uuid.data(), bytes.data() + 416, 16);
    return uuid;
  }
  StatusOr<std::unique_ptr<Kernel>> OpenKernel(const std::string& name) override {
    s_->opened_kernel = name;
    return std::unique_ptr<Kernel>(new FakeKernel(s_));
  }

 private:
  std::shared_ptr<FakeState> s_;
};

class FakeRuntime final : public Runtime {
 public:
  explicit FakeRuntime(std::shared_ptr<FakeState> s) : s_(std::move(s)) {}
  StatusOr<std::unique_ptr<Device>> Open(const DeviceSpec& spec) override {
    s_->opened = spec;
    if (s_->fail_open) return FailedPrecondition("fake: no FPGA device '" + spec.ToString() + "'");
    return std::unique_ptr<Device>(new FakeDevice(s_));
  }

 private:
  std::shared_ptr<FakeState> s_;
};

}  // namespace

std::shared_ptr<Runtime> MakeFakeRuntime(std::shared_ptr<FakeState> state) {
  return std::make_shared<FakeRuntime>(std::move(state));
}

}  // namespace skiff::accel_fpga::test
