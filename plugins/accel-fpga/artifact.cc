// SPDX-License-Identifier: Apache-2.0
#include "artifact.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "skiff/util/file.h"

namespace skiff::accel_fpga {
namespace {

using nlohmann::json;

// xclbins are tens of MiB; 1 GiB bounds a wrong path (a device node) well
// above any card's memory.
StatusOr<std::string> ReadModelFile(const std::string& path) {
  auto bytes = ReadFile(path, std::size_t{1} << 30);
  if (bytes.status().code() == StatusCode::kNotFound) {
    return NotFound("FPGA model file '" + path +
                    "' is missing; the artifact folder needs model.xclbin, weights.bin and "
                    "signature.json (docs/accel-fpga.md)");
  }
  return bytes;
}

Status Bad(const std::string& file, const std::string& path, const std::string& why) {
  return InvalidArgument("'" + file + "': `" + path + "` " + why + " (docs/accel-fpga.md)");
}

StatusOr<int32_t> Int(const json& obj, const std::string& file, const std::string& path,
                      const char* key, int32_t min, int32_t max) {
  auto it = obj.find(key);
  if (it == obj.end()) return Bad(file, path + "." + key, "is required");
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return Bad(file, path + "." + key,
               "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int32_t>(it->get<int64_t>());
}

Status ReadSignature(const std::string& file, const std::string& text, FpgaArtifact& a) {
  const json root = json::parse(text, nullptr, false);
  if (!root.is_object()) return InvalidArgument("'" + file + "' is not a JSON object");
  static const char* kKeys[] = {"format", "kernel", "platform", "xclbinUuid", "maxBatch", "layers"};
  for (const auto& [key, value] : root.items()) {
    (void)value;
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return Bad(file, "$." + key,
                 "is not a known key (format, kernel, platform, xclbinUuid, maxBatch, layers)");
    }
  }
  auto format = root.find("format");
  if (format == root.end() || *format != "skiff-fpga-mlp/1") {
    return Bad(file, "$.format", "must be \"skiff-fpga-mlp/1\"");
  }
  if (auto k = root.find("kernel"); k != root.end()) {
    if (!k->is_string() || k->get<std::string>().empty())
      return Bad(file, "$.kernel", "must be a non-empty string");
    a.kernel = k->get<std::string>();
  }
  if (auto p = root.find("platform"); p != root.end()) {
    if (!p->is_string())
      return Bad(file, "$.platform", "must be a string (the xclbin's platform VBNV)");
    a.platform = p->get<std::string>();
  }
  if (auto u = root.find("xclbinUuid"); u != root.end()) {
    a.uuid = u->is_string() ? ParseUuid(u->get<std::string>()) : std::nullopt;
    if (!a.uuid)
      return Bad(file, "$.xclbinUuid",
                 "must be a UUID such as \"01234567-89ab-cdef-0123-456789abcdef\"");
  }
  if (root.contains("maxBatch")) {
    SKIFF_ASSIGN_OR_RETURN(a.max_batch, Int(root, file, "$", "maxBatch", 1, kMaxBatchLimit));
  }
  auto layers = root.find("layers");
  if (layers == root.end() || !layers->is_array() || layers->empty() || layers->size() > 64) {
    return Bad(file, "$.layers", "must be an array of 1 to 64 layers {\"in\", \"out\", \"relu\"}");
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    const json& l = (*layers)[i];
    const std::string path = "$.layers[" + std::to_string(i) + "]";
    if (!l.is_object()) return Bad(file, path, "must be an object {\"in\", \"out\", \"relu\"}");
    LayerSpec spec;
    SKIFF_ASSIGN_OR_RETURN(spec.in, Int(l, file, path, "in", 1, kMaxLayerDim));
    SKIFF_ASSIGN_OR_RETURN(spec.out, Int(l, file, path, "out", 1, kMaxLayerDim));
    if (auto r = l.find("relu"); r != l.end()) {
      if (!r->is_boolean()) return Bad(file, path + ".relu", "must be true or false");
      spec.relu = r->get<bool>();
    }
    if (i > 0 && spec.in != a.layers.back().out) {
      return Bad(file, path + ".in",
                 "is " + std::to_string(spec.in) + " but the previous layer outputs " +
                     std::to_string(a.layers.back().out));
    }
    a.layers.push_back(spec);
  }
  return OkStatus();
}

}  // namespace

std::optional<XclbinUuid> ParseUuid(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != '-') hex += c;
  }
  if (hex.size() != 32) return std::nullopt;
  XclbinUuid out{};
  for (size_t i = 0; i < 32; ++i) {
    const char c = hex[i];
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) return std::nullopt;
    out[i / 2] = static_cast<uint8_t>(out[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return out;
}

StatusOr<FpgaArtifact> ReadArtifact(const std::string& dir) {
  FpgaArtifact a;
  const std::string signature_path = dir + "/signature.json";
  SKIFF_ASSIGN_OR_RETURN(std::string signature, ReadModelFile(signature_path));
  SKIFF_RETURN_IF_ERROR(ReadSignature(signature_path, signature, a));
  a.xclbin_path = dir + "/model.xclbin";
  SKIFF_ASSIGN_OR_RETURN(a.xclbin_bytes, ReadModelFile(a.xclbin_path));
  const std::string weights_path = dir + "/weights.bin";
  SKIFF_ASSIGN_OR_RETURN(std::string weights, ReadModelFile(weights_path));
  size_t expected = 0;
  for (const LayerSpec& l : a.layers)
    expected += (size_t(l.in) * size_t(l.out) + size_t(l.out)) * sizeof(float);
  if (weights.size() != expected) {
    return InvalidArgument("'" + weights_path + "' holds " + std::to_string(weights.size()) +
                           " bytes but the layers in signature.json need " +
                           std::to_string(expected) +
                           " (float32, per layer W[out][in] then b[out])");
  }
  size_t at = 0;
  for (const LayerSpec& l : a.layers) {
    std::vector<float> w(size_t(l.in) * size_t(l.out)), b(size_t(l.out));
    std::memcpy(w.data(), weights.data() + at, w.size() * sizeof(float));
    at += w.size() * sizeof(float);
    std::memcpy(b.data(), weights.data() + at, b.size() * sizeof(float));
    at += b.size() * sizeof(float);
    a.weights.push_back(std::move(w));
    a.biases.push_back(std::move(b));
  }
  return a;
}

}  // namespace skiff::accel_fpga
