// SPDX-License-Identifier: Apache-2.0
#include "fpga_options.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "skiff/config/json_reader.h"

namespace skiff::accel_fpga {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// [dddd:]bb:dd.f with hex digits.
bool IsBdf(const std::string& s) {
  const std::string pattern = s.size() == 12 ? "hhhh:hh:hh.h" : "hh:hh.h";
  if (s.size() != pattern.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (pattern[i] == 'h' ? !IsHex(s[i]) : s[i] != pattern[i]) return false;
  }
  return true;
}

}  // namespace

StatusOr<DeviceSpec> ParseDeviceSpec(const std::string& text) {
  DeviceSpec spec;
  bool digits = !text.empty() && text.size() <= 4;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    spec.index = static_cast<uint32_t>(std::stoul(text));
    return spec;
  }
  if (IsBdf(text)) {
    spec.by_bdf = true;
    spec.bdf = text.size() == 7 ? "0000:" + text : text;
    return spec;
  }
  return InvalidArgument("`$.acceleratorOptions.device` \"" + text +
                         "\" is not an FPGA device; use a card index (0, 1, ...) or a PCIe BDF "
                         "such as \"0000:65:00.1\" (see `xbutil examine`)");
}

StatusOr<FpgaOptions> ParseFpgaOptions(const ModelLoadOptions& options) {
  if (!options.device.empty() && options.device != "auto") {
    return InvalidArgument("`$.device` \"" + options.device +
                           "\" is a CPU/GPU placement; the fpga accelerator takes its card from "
                           "`$.acceleratorOptions.device` (index or PCIe BDF), so leave `$.device` "
                           "as \"auto\"");
  }
  if (options.inference_config_json.empty()) return FpgaOptions();
  // The server validated the inference config; only acceleratorOptions,
  // which skiff_config leaves to the accelerator, is read here.
  return config::ReadConfig("fpga accelerator options", [&] {
    const nlohmann::json document = config::ParseJsonText(options.inference_config_json);
    config::ObjectReader root(document, "$");
    FpgaOptions out;
    const nlohmann::json* accelerator_options = root.Get("acceleratorOptions");
    if (accelerator_options == nullptr) return out;
    config::ObjectReader r(*accelerator_options, root.PathOf("acceleratorOptions"));
    if (const nlohmann::json* device = r.Get("device")) {
      StatusOr<DeviceSpec> spec =
          device->is_number_unsigned() ? ParseDeviceSpec(std::to_string(device->get<uint64_t>()))
          : device->is_string()        ? ParseDeviceSpec(device->get<std::string>())
                                       : InvalidArgument("`" + r.PathOf("device") +
                                                         "` must be a card index or a PCIe BDF string");
      if (!spec.ok()) config::Fail(spec.status().message());
      out.device = *spec;
    }
    if (auto timeout = r.Int("timeoutMs", std::numeric_limits<int64_t>::min())) {
      if (*timeout < 1 || *timeout > 3600000) {
        config::Fail("`" + r.PathOf("timeoutMs") +
                     "` must be an integer from 1 to 3600000 (milliseconds)");
      }
      out.timeout = std::chrono::milliseconds(*timeout);
    }
    r.RejectUnknownKeys("an fpga accelerator option; it takes \"device\" and \"timeoutMs\"");
    return out;
  });
}

}  // namespace skiff::accel_fpga
