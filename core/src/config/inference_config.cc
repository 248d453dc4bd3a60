// SPDX-License-Identifier: Apache-2.0
#include "skiff/config/inference_config.h"

#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "config_file.h"
#include "json_path.h"
#include "skiff/config/json_reader.h"

namespace skiff::config {
namespace {

using nlohmann::json;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr size_t kMaxPluginNameLength = 64;

// Keys of Azure ML's InferenceConfig, whose scoring-script model skiff does
// not implement.
constexpr const char* kAzureKeys[] = {"entryScript", "environment", "sourceDirectory",
                                      "runtime",     "condaFile",   "extraDockerfileSteps",
                                      "baseImage"};

void RefuseAzureKeys(const json& document) {
  if (!document.is_object()) return;  // ObjectReader reports the type.
  std::string found;
  for (const char* key : kAzureKeys) {
    if (document.contains(key)) found += (found.empty() ? "`$." : ", `$.") + std::string(key) + "`";
  }
  if (found.empty()) return;
  Fail(found +
       ": Azure ML scoring-script inference configs are not supported. skiff serves "
       "TorchScript/xclbin artifacts natively, without an entry script or environment; remove "
       "these keys and describe the model's `inputs`/`outputs` and `accelerator` instead (see "
       "docs/inference-config.md)");
}

// Plugin names become part of a file name (libskiff_<kind>_<name>.so), so
// they are restricted to a safe charset: no '/', no "..".
std::string ReadPluginName(ObjectReader& root, std::string_view key, std::string fallback) {
  auto name = root.String(key);
  if (!name) return fallback;
  const std::string path = root.PathOf(key);
  const char* fix =
      "; use the plugin's name: lowercase letters, digits, '-' and '_', starting with a letter "
      "or digit, at most 64 characters (e.g. \"torch\")";
  if (name->empty() || name->size() > kMaxPluginNameLength) {
    Fail("`" + path + "` must be 1-64 characters, got " + std::to_string(name->size()) + fix);
  }
  for (size_t i = 0; i < name->size(); ++i) {
    const char c = (*name)[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_'))) {
      Fail("`" + path + "` \"" + *name + "\" is not a valid plugin name" + fix);
    }
  }
  return *name;
}

bool IsDevice(const std::string& device) {
  if (device == "auto" || device == "cpu" || device == "cuda") return true;
  const std::string prefix = "cuda:";
  if (device.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string index = device.substr(prefix.size());
  if (index.empty() || index.size() > 9) return false;
  if (index.size() > 1 && index[0] == '0') return false;
  for (char c : index) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string DataTypeList() {
  std::string list;
  for (DataType t : AllDataTypes())
    list += (list.empty() ? "" : ", ") + std::string(DataTypeName(t));
  return list;
}

TensorSpec ReadTensor(const json& value, const std::string& path) {
  ObjectReader t(value, path);
  TensorSpec spec;
  const json* name = t.Get("name");
  const json* datatype = t.Get("datatype");
  const json* shape = t.Get("shape");
  t.RejectUnknownKeys();

  const char* form = R"(; each tensor is {"name": "input", "datatype": "FP32", "shape": [-1, 4]})";
  if (name == nullptr) Fail("`" + t.PathOf("name") + "` is required" + form);
  spec.name = ReadString(*name, t.PathOf("name"));
  if (spec.name.empty()) Fail("`" + t.PathOf("name") + "` must not be empty" + form);

  if (datatype == nullptr) Fail("`" + t.PathOf("datatype") + "` is required" + form);
  const std::string type_name = ReadString(*datatype, t.PathOf("datatype"));
  const std::optional<DataType> type = ParseDataType(type_name);
  if (!type) {
    Fail("`" + t.PathOf("datatype") + "` \"" + type_name + "\" is not a datatype; use one of " +
         DataTypeList());
  }
  spec.dtype = *type;

  if (shape == nullptr) Fail("`" + t.PathOf("shape") + "` is required" + form);
  const std::string shape_path = t.PathOf("shape");
  if (!shape->is_array()) {
    Fail("`" + shape_path + "` must be an array, got " + internal::JsonTypeName(*shape));
  }
  for (size_t i = 0; i < shape->size(); ++i) {
    const std::string dim_path = internal::IndexPath(shape_path, i);
    const int64_t dim = ReadInt((*shape)[i], dim_path, std::numeric_limits<int64_t>::min());
    if (dim == 0 || dim < -1) {
      Fail("`" + dim_path + "` must be -1 (dynamic) or at least 1, got " + std::to_string(dim));
    }
    spec.shape.push_back(dim);
  }
  return spec;
}

std::vector<TensorSpec> ReadTensors(ObjectReader& root, std::string_view key) {
  const std::string path = root.PathOf(key);
  const json* list = root.Get(key);
  const std::string fix = std::string("; list the model's ") + std::string(key) +
                          R"( as [{"name": ..., "datatype": "FP32", "shape": [-1, 4]}, ...])";
  if (list == nullptr) Fail("`" + path + "` is required" + fix);
  if (!list->is_array()) {
    Fail("`" + path + "` must be an array, got " + internal::JsonTypeName(*list) + fix);
  }
  if (list->empty()) Fail("`" + path + "` must not be empty" + fix);
  std::vector<TensorSpec> specs;
  for (size_t i = 0; i < list->size(); ++i) {
    TensorSpec spec = ReadTensor((*list)[i], internal::IndexPath(path, i));
    for (size_t j = 0; j < specs.size(); ++j) {
      if (specs[j].name == spec.name) {
        Fail("`" + internal::IndexPath(path, i) + ".name` \"" + spec.name + "\" repeats `" +
             internal::IndexPath(path, j) + ".name`; tensor names must be unique");
      }
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

void RequireBatchDimension(const std::vector<TensorSpec>& specs, std::string_view key) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].shape.empty() || specs[i].shape[0] != -1) {
      Fail("`$." + std::string(key) + "[" + std::to_string(i) + "].shape` is " +
           ShapeToString(specs[i].shape) +
           ", but `$.batching.enabled` is true and batches are merged along dimension 0; make "
           "the first dimension -1, or disable batching");
    }
  }
}

InferenceConfig FromJson(const json& document) {
  RefuseAzureKeys(document);
  ObjectReader root(document, internal::kRootPath);
  InferenceConfig c;
  c.accelerator = ReadPluginName(root, "accelerator", c.accelerator);
  if (auto v = root.String("device")) {
    if (!IsDevice(*v)) {
      Fail("`$.device` \"" + *v +
           "\" is not a device; use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\" (N a GPU index, "
           "e.g. \"cuda:0\")");
    }
    c.device = *v;
  }
  if (auto o = root.Object("threads")) {
    if (auto v = o->Int("intraOp", 0, kInt32Max)) c.threads.intra_op = static_cast<int32_t>(*v);
    if (auto v = o->Int("interOp", 0, kInt32Max)) c.threads.inter_op = static_cast<int32_t>(*v);
    o->RejectUnknownKeys();
  }
  if (auto o = root.Object("batching")) {
    if (auto v = o->Bool("enabled")) c.batching.enabled = *v;
    if (auto v = o->Int("maxBatchSize", 1, kInt32Max)) {
      c.batching.max_batch_size = static_cast<int32_t>(*v);
    }
    if (auto v = o->Int("maxQueueDelayMicroseconds", 0)) {
      c.batching.max_queue_delay_microseconds = *v;
    }
    o->RejectUnknownKeys();
  }
  c.inputs = ReadTensors(root, "inputs");
  c.outputs = ReadTensors(root, "outputs");
  if (const json* options = root.Get("acceleratorOptions")) {
    if (!options->is_object()) {
      Fail("`$.acceleratorOptions` must be an object, got " + internal::JsonTypeName(*options));
    }
    c.accelerator_options = *options;
  }
  c.auth = ReadPluginName(root, "auth", c.auth);
  root.RejectUnknownKeys();

  if (c.batching.enabled) {
    RequireBatchDimension(c.inputs, "inputs");
    RequireBatchDimension(c.outputs, "outputs");
  }
  return c;
}

StatusOr<InferenceConfig> ParseText(std::string_view text, const std::string& context) {
  try {
    return FromJson(ParseJsonText(text));
  } catch (const ConfigError& e) {
    return InvalidArgument(context + ": " + e.what());
  } catch (const json::exception& e) {
    return InvalidArgument(context + ": " + e.what());
  }
}

json TensorsToJson(const std::vector<TensorSpec>& specs) {
  json out = json::array();
  for (const TensorSpec& s : specs) {
    out.push_back({{"name", s.name}, {"datatype", DataTypeName(s.dtype)}, {"shape", s.shape}});
  }
  return out;
}

}  // namespace

StatusOr<InferenceConfig> ParseInferenceConfig(std::string_view json_text) {
  return ParseText(json_text, "inference config");
}

StatusOr<InferenceConfig> ParseInferenceConfigFile(const std::string& path) {
  auto text = internal::ReadConfigFile(path);
  if (!text.ok()) return text.status().WithContext("inference config");
  return ParseText(*text, "inference config '" + path + "'");
}

json ToJson(const InferenceConfig& c) {
  return {
      {"accelerator", c.accelerator},
      {"device", c.device},
      {"threads", {{"intraOp", c.threads.intra_op}, {"interOp", c.threads.inter_op}}},
      {"batching",
       {{"enabled", c.batching.enabled},
        {"maxBatchSize", c.batching.max_batch_size},
        {"maxQueueDelayMicroseconds", c.batching.max_queue_delay_microseconds}}},
      {"inputs", TensorsToJson(c.inputs)},
      {"outputs", TensorsToJson(c.outputs)},
      {"acceleratorOptions", c.accelerator_options},
      {"auth", c.auth},
  };
}

Signature ToSignature(const InferenceConfig& config) {
  return Signature{config.inputs, config.outputs};
}

}  // namespace skiff::config
