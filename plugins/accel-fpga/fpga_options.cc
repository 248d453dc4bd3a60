#include "fpga_options.h"

#include <nlohmann/json.hpp>

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
  FpgaOptions out;
  if (options.inference_config_json.empty()) return out;
  const nlohmann::json config =
      nlohmann::json::parse(options.inference_config_json, nullptr, false);
  if (!config.is_object())
    return InvalidArgument(
        "the inference config handed to the fpga accelerator is not a JSON object");
  auto it = config.find("acceleratorOptions");
  if (it == config.end()) return out;
  if (!it->is_object()) return InvalidArgument("`$.acceleratorOptions` must be an object");
  for (const auto& [key, value] : it->items()) {
    if (key == "device") {
      if (value.is_number_unsigned()) {
        SKIFF_ASSIGN_OR_RETURN(out.device, ParseDeviceSpec(std::to_string(value.get<uint64_t>())));
      } else if (value.is_string()) {
        SKIFF_ASSIGN_OR_RETURN(out.device, ParseDeviceSpec(value.get<std::string>()));
      } else {
        return InvalidArgument(
            "`$.acceleratorOptions.device` must be a card index or a PCIe BDF string");
      }
    } else if (key == "timeoutMs") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > 3600000) {
        return InvalidArgument(
            "`$.acceleratorOptions.timeoutMs` must be an integer from 1 to 3600000 (milliseconds)");
      }
      out.timeout = std::chrono::milliseconds(value.get<int64_t>());
    } else {
      return InvalidArgument(
          "`$.acceleratorOptions." + key +
          "` is not an fpga accelerator option; it takes \"device\" and \"timeoutMs\"");
    }
  }
  return out;
}

}  // namespace skiff::accel_fpga
