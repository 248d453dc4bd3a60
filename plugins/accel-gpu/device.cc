// SPDX-License-Identifier: Apache-2.0
#include "device.h"

#include <torch/cuda.h>

#include <cctype>

namespace skiff::accel_gpu {
namespace {

StatusOr<c10::Device> Cuda(const std::string& spec, int64_t index) {
  if (!torch::cuda::is_available()) {
    return FailedPrecondition("device '" + spec +
                              "' requested but CUDA is not available in this process (libtorch "
                              "built without CUDA, or no GPU visible); use \"device\": \"cpu\" "
                              "or \"auto\"");
  }
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  if (index < 0) index = 0;
  if (index >= count) {
    return FailedPrecondition(
        "device '" + spec + "' does not exist: " + std::to_string(count) +
        " CUDA device(s) visible (cuda:0 to cuda:" + std::to_string(count - 1) + ")");
  }
  return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace

StatusOr<c10::Device> SelectDevice(const std::string& spec, int32_t replica_index) {
  if (spec == "cpu") return c10::Device(c10::DeviceType::CPU);
  if (spec.empty() || spec == "auto" || spec == "cuda") {
    if (spec != "cuda" && !torch::cuda::is_available()) return c10::Device(c10::DeviceType::CPU);
    const int64_t count =
        torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 1;
    return Cuda(spec.empty() ? "auto" : spec, count > 0 ? replica_index % count : 0);
  }
  const std::string prefix = "cuda:";
  if (spec.size() > prefix.size() && spec.compare(0, prefix.size(), prefix) == 0 &&
      spec.size() - prefix.size() <= 4) {
    int64_t index = 0;
    for (size_t i = prefix.size(); i < spec.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(spec[i]))) {
        index = -1;
        break;
      }
      index = index * 10 + (spec[i] - '0');
    }
    if (index >= 0) return Cuda(spec, index);
  }
  return InvalidArgument("unknown device '" + spec +
                         "': expected \"auto\", \"cpu\", \"cuda\" or \"cuda:N\"");
}

}  // namespace skiff::accel_gpu
