// SPDX-License-Identifier: Apache-2.0
#include "skiff/config/inference_config.h"

#include <gtest/gtest.h>

#include <string>

#include "config_test_util.h"

namespace skiff::config {
namespace {

using nlohmann::json;

// The smallest valid config; rows patch it with JSON merge-patch.
json Minimal() {
  return json::parse(R"({
    "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
    "outputs": [{"name": "output", "datatype": "FP32", "shape": [-1, 3]}]
  })");
}

std::string MinimalWith(const json& patch) {
  json doc = Minimal();
  doc.merge_patch(patch);
  return doc.dump();
}

// ---------------------------------------------------------------------------
// Defaults.

struct DefaultRow {
  const char* pointer;
  json expected;
};
void PrintTo(const DefaultRow& row, std::ostream* os) { *os << row.pointer; }

class ConfigInferenceDefaultTest : public ::testing::TestWithParam<DefaultRow> {};

TEST_P(ConfigInferenceDefaultTest, MinimalDocumentGetsDocumentedDefault) {
  auto config = ParseInferenceConfig(Minimal().dump());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const json out = ToJson(*config);
  const json::json_pointer pointer(GetParam().pointer);
  ASSERT_TRUE(out.contains(pointer)) << out.dump(2);
  EXPECT_EQ(out.at(pointer), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Rows, ConfigInferenceDefaultTest,
                         ::testing::Values(DefaultRow{"/accelerator", "torch"},
                                           DefaultRow{"/device", "auto"},
                                           DefaultRow{"/threads/intraOp", 1},
                                           DefaultRow{"/threads/interOp", 1},
                                           DefaultRow{"/batching/enabled", false},
                                           DefaultRow{"/batching/maxBatchSize", 8},
                                           DefaultRow{"/batching/maxQueueDelayMicroseconds", 1000},
                                           DefaultRow{"/acceleratorOptions", json::object()},
                                           DefaultRow{"/auth", "default"}));

TEST(ConfigInferenceDefaultsTest, StructDefaultsMatchParsedDefaults) {
  auto parsed = ParseInferenceConfig(Minimal().dump());
  ASSERT_TRUE(parsed.ok());
  InferenceConfig expected;
  expected.inputs = parsed->inputs;
  expected.outputs = parsed->outputs;
  EXPECT_EQ(ToJson(expected), ToJson(*parsed));
}

// ---------------------------------------------------------------------------
// Rules.

struct ErrorRow {
  const char* name;
  std::string json_text;
  std::string expected;
};
void PrintTo(const ErrorRow& row, std::ostream* os) { *os << row.name; }

class ConfigInferenceErrorTest : public ::testing::TestWithParam<ErrorRow> {};

TEST_P(ConfigInferenceErrorTest, IsRejectedWithPathAndFix) {
  auto config = ParseInferenceConfig(GetParam().json_text);
  ASSERT_FALSE(config.ok()) << "accepted: " << GetParam().json_text;
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(GetParam().expected), std::string::npos)
      << "message: " << config.status().message() << "\nexpected: " << GetParam().expected;
  EXPECT_EQ(config.status().message().rfind("inference config: ", 0), 0u)
      << config.status().message();
}

const char kTensorForm[] =
    R"(; each tensor is {"name": "input", "datatype": "FP32", "shape": [-1, 4]})";

INSTANTIATE_TEST_SUITE_P(
    Rules, ConfigInferenceErrorTest,
    ::testing::Values(
        // Signature lists.
        ErrorRow{"InputsMissing",
                 R"({"outputs": [{"name": "o", "datatype": "FP32", "shape": [1]}]})",
                 "`$.inputs` is required; list the model's inputs as [{\"name\": ..."},
        ErrorRow{"OutputsMissing",
                 R"({"inputs": [{"name": "i", "datatype": "FP32", "shape": [1]}]})",
                 "`$.outputs` is required; list the model's outputs"},
        ErrorRow{"InputsEmpty", MinimalWith({{"inputs", json::array()}}),
                 "`$.inputs` must not be empty"},
        ErrorRow{"OutputsEmpty", MinimalWith({{"outputs", json::array()}}),
                 "`$.outputs` must not be empty"},
        ErrorRow{"InputsObject", MinimalWith({{"inputs", {{"name", "x"}}}}),
                 "`$.inputs` must be an array, got object"},
        ErrorRow{"TensorNotObject", MinimalWith({{"inputs", {1}}}),
                 "`$.inputs[0]` must be an object, got integer"},
        // Tensor entries.
        ErrorRow{"NameMissing", MinimalWith({{"inputs", {{{"datatype", "FP32"}, {"shape", {1}}}}}}),
                 std::string("`$.inputs[0].name` is required") + kTensorForm},
        ErrorRow{"NameEmpty",
                 MinimalWith({{"inputs", {{{"name", ""}, {"datatype", "FP32"}, {"shape", {1}}}}}}),
                 "`$.inputs[0].name` must not be empty"},
        ErrorRow{"NameNotString",
                 MinimalWith({{"inputs", {{{"name", 7}, {"datatype", "FP32"}, {"shape", {1}}}}}}),
                 "`$.inputs[0].name` must be a string, got integer"},
        ErrorRow{"DuplicateInputNames",
                 MinimalWith({{"inputs",
                               {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1}}},
                                {{"name", "x"}, {"datatype", "INT64"}, {"shape", {1}}}}}}),
                 "`$.inputs[1].name` \"x\" repeats `$.inputs[0].name`; tensor names must be "
                 "unique"},
        ErrorRow{"DuplicateOutputNames",
                 MinimalWith({{"outputs",
                               {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {1}}},
                                {{"name", "z"}, {"datatype", "FP32"}, {"shape", {1}}},
                                {{"name", "y"}, {"datatype", "FP32"}, {"shape", {1}}}}}}),
                 "`$.outputs[2].name` \"y\" repeats `$.outputs[0].name`"},
        ErrorRow{"DatatypeMissing", MinimalWith({{"inputs", {{{"name", "x"}, {"shape", {1}}}}}}),
                 "`$.inputs[0].datatype` is required"},
        ErrorRow{"DatatypeLowercase",
                 MinimalWith({{"inputs", {{{"name", "x"}, {"datatype", "fp32"}, {"shape", {1}}}}}}),
                 "`$.inputs[0].datatype` \"fp32\" is not a datatype; use one of FP32, FP64, FP16, "
                 "INT64, INT32, INT8, UINT8, BOOL"},
        ErrorRow{"DatatypeUnknown",
                 // BF16 was the example until issue 20 made it a datatype.
                 MinimalWith({{"outputs", {{{"name", "y"}, {"datatype", "FP8"}, {"shape", {1}}}}}}),
                 "`$.outputs[0].datatype` \"FP8\" is not a datatype"},
        ErrorRow{"ShapeMissing", MinimalWith({{"inputs", {{{"name", "x"}, {"datatype", "FP32"}}}}}),
                 "`$.inputs[0].shape` is required"},
        ErrorRow{"ShapeNotArray",
                 MinimalWith({{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", "4"}}}}}),
                 "`$.inputs[0].shape` must be an array, got string"},
        ErrorRow{
            "ShapeZero",
            MinimalWith({{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 0}}}}}}),
            "`$.inputs[0].shape[1]` must be -1 (dynamic) or at least 1, got 0"},
        ErrorRow{
            "ShapeMinusTwo",
            MinimalWith({{"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-2}}}}}}),
            "`$.outputs[0].shape[0]` must be -1 (dynamic) or at least 1, got -2"},
        ErrorRow{
            "ShapeFraction",
            MinimalWith({{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1.5}}}}}}),
            "`$.inputs[0].shape[0]` must be an integer, got 1.5"},
        ErrorRow{
            "ShapeString",
            MinimalWith({{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {"4"}}}}}}),
            "`$.inputs[0].shape[0]` must be an integer, got string"},
        ErrorRow{
            "TensorUnknownKey",
            MinimalWith(
                {{"inputs",
                  {{{"name", "x"}, {"dtype", "FP32"}, {"datatype", "FP32"}, {"shape", {1}}}}}}),
            "unknown key `$.inputs[0].dtype`; allowed keys here: name, datatype, shape"},
        ErrorRow{"TensorUnknownKeyTypo",
                 MinimalWith(
                     {{"inputs",
                       {{{"name", "x"}, {"datatype", "FP32"}, {"shapes", {1}}, {"shape", {1}}}}}}),
                 "unknown key `$.inputs[0].shapes`; did you mean `shape`?"},
        // Device.
        ErrorRow{"DeviceGpu", MinimalWith({{"device", "gpu"}}),
                 "`$.device` \"gpu\" is not a device; use \"auto\", \"cpu\", \"cuda\" or "
                 "\"cuda:N\""},
        ErrorRow{"DeviceUppercase", MinimalWith({{"device", "CPU"}}),
                 "`$.device` \"CPU\" is not a device"},
        ErrorRow{"DeviceCudaNoIndex", MinimalWith({{"device", "cuda:"}}),
                 "`$.device` \"cuda:\" is not a device"},
        ErrorRow{"DeviceCudaNegative", MinimalWith({{"device", "cuda:-1"}}),
                 "`$.device` \"cuda:-1\" is not a device"},
        ErrorRow{"DeviceCudaLeadingZero", MinimalWith({{"device", "cuda:01"}}),
                 "`$.device` \"cuda:01\" is not a device"},
        ErrorRow{"DeviceCudaLetters", MinimalWith({{"device", "cuda:x"}}),
                 "`$.device` \"cuda:x\" is not a device"},
        ErrorRow{"DeviceNumber", MinimalWith({{"device", 0}}),
                 "`$.device` must be a string, got integer"},
        // Threads.
        ErrorRow{"IntraOpNegative", MinimalWith({{"threads", {{"intraOp", -1}}}}),
                 "`$.threads.intraOp` must be between 0 and 2147483647, got -1"},
        ErrorRow{"InterOpNegative", MinimalWith({{"threads", {{"interOp", -1}}}}),
                 "`$.threads.interOp` must be between 0 and 2147483647, got -1"},
        ErrorRow{"ThreadsUnknownKey", MinimalWith({{"threads", {{"intraop", 2}}}}),
                 "unknown key `$.threads.intraop`; did you mean `intraOp`?"},
        // Batching.
        ErrorRow{"MaxBatchSizeZero", MinimalWith({{"batching", {{"maxBatchSize", 0}}}}),
                 "`$.batching.maxBatchSize` must be between 1 and 2147483647, got 0"},
        ErrorRow{"QueueDelayNegative",
                 MinimalWith({{"batching", {{"maxQueueDelayMicroseconds", -1}}}}),
                 "`$.batching.maxQueueDelayMicroseconds` must be at least 0, got -1"},
        ErrorRow{"BatchingEnabledString", MinimalWith({{"batching", {{"enabled", "yes"}}}}),
                 "`$.batching.enabled` must be a boolean (true or false), got string"},
        ErrorRow{"BatchingNeedsDynamicInputBatchDim",
                 MinimalWith({{"batching", {{"enabled", true}}},
                              {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {4}}}}}}),
                 "`$.inputs[0].shape` is [4], but `$.batching.enabled` is true and batches are "
                 "merged along dimension 0; make the first dimension -1, or disable batching"},
        ErrorRow{"BatchingNeedsDynamicOutputBatchDim",
                 MinimalWith({{"batching", {{"enabled", true}}},
                              {"outputs",
                               {{{"name", "y"}, {"datatype", "FP32"}, {"shape", json::array()}}}}}),
                 "`$.outputs[0].shape` is [], but `$.batching.enabled` is true"},
        // Plugin names.
        ErrorRow{"AcceleratorEmpty", MinimalWith({{"accelerator", ""}}),
                 "`$.accelerator` must be 1-64 characters, got 0; use the plugin's name"},
        ErrorRow{"AcceleratorPath", MinimalWith({{"accelerator", "../evil"}}),
                 "`$.accelerator` \"../evil\" is not a valid plugin name; use the plugin's name"},
        ErrorRow{"AcceleratorUppercase", MinimalWith({{"accelerator", "Torch"}}),
                 "`$.accelerator` \"Torch\" is not a valid plugin name"},
        ErrorRow{"AcceleratorTooLong", MinimalWith({{"accelerator", std::string(65, 'a')}}),
                 "`$.accelerator` must be 1-64 characters, got 65"},
        ErrorRow{"AuthSlash", MinimalWith({{"auth", "a/b"}}),
                 "`$.auth` \"a/b\" is not a valid plugin name"},
        ErrorRow{"AuthNumber", MinimalWith({{"auth", true}}),
                 "`$.auth` must be a string, got boolean"},
        // Accelerator options.
        ErrorRow{"AcceleratorOptionsArray", MinimalWith({{"acceleratorOptions", {1, 2}}}),
                 "`$.acceleratorOptions` must be an object, got array"},
        // Unknown keys, wrong root, malformed JSON.
        ErrorRow{"UnknownTopLevelTypo", MinimalWith({{"input", json::array()}}),
                 "unknown key `$.input`; did you mean `inputs`?"},
        ErrorRow{"UnknownBatchingKey", MinimalWith({{"batching", {{"maxBatch", 4}}}}),
                 "unknown key `$.batching.maxBatch`"},
        ErrorRow{"RootNotObject", "\"torch\"", "`$` must be an object, got string"},
        ErrorRow{"Malformed", "{\"inputs\": [}", "malformed JSON at line 1, column 13 (byte 12)"},
        ErrorRow{"DuplicateKey", R"({"device": "cpu", "device": "cuda"})",
                 "duplicate key \"device\" in one JSON object"}),
    [](const ::testing::TestParamInfo<ErrorRow>& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Azure ML scoring-script configs are refused, one row per Azure key.

class ConfigInferenceAzureKeyTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ConfigInferenceAzureKeyTest, IsRefusedWithGuidance) {
  json doc = Minimal();
  doc[GetParam()] = "score.py";
  auto config = ParseInferenceConfig(doc.dump());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            std::string("inference config: `$.") + GetParam() +
                "`: Azure ML scoring-script inference configs are not supported. skiff serves "
                "TorchScript/xclbin artifacts natively, without an entry script or environment; "
                "remove these keys and describe the model's `inputs`/`outputs` and `accelerator` "
                "instead (see docs/inference-config.md)");
}

INSTANTIATE_TEST_SUITE_P(Keys, ConfigInferenceAzureKeyTest,
                         ::testing::Values("entryScript", "environment", "sourceDirectory",
                                           "runtime", "condaFile", "extraDockerfileSteps",
                                           "baseImage"));

TEST(ConfigInferenceAzureTest, AzureOnlyConfigNamesEveryAzureKeyBeforeMissingInputs) {
  auto config = ParseInferenceConfig(
      R"({"entryScript": "score.py", "environment": {"name": "env"}, "runtime": "python"})");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(
                "`$.entryScript`, `$.environment`, `$.runtime`: Azure ML scoring-script"),
            std::string::npos)
      << config.status().message();
}

// ---------------------------------------------------------------------------
// Accepted values, round trip, signature.

TEST(ConfigInferenceParseTest, AcceptedDevices) {
  for (const char* device : {"auto", "cpu", "cuda", "cuda:0", "cuda:12"}) {
    auto config = ParseInferenceConfig(MinimalWith({{"device", device}}));
    ASSERT_TRUE(config.ok()) << device << ": " << config.status().ToString();
    EXPECT_EQ(config->device, device);
  }
}

TEST(ConfigInferenceParseTest, ScalarShapeAndIntegralFloatDims) {
  auto config = ParseInferenceConfig(
      MinimalWith({{"inputs",
                    {{{"name", "s"}, {"datatype", "INT64"}, {"shape", json::array()}},
                     {{"name", "t"}, {"datatype", "BOOL"}, {"shape", {2.0, -1}}}}}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->inputs.size(), 2u);
  EXPECT_TRUE(config->inputs[0].shape.empty());
  EXPECT_EQ(config->inputs[0].dtype, DataType::kInt64);
  EXPECT_EQ(config->inputs[1].shape, (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(config->inputs[1].dtype, DataType::kBool);
}

TEST(ConfigInferenceParseTest, EveryDatatypeIsAccepted) {
  for (DataType type : AllDataTypes()) {
    auto config = ParseInferenceConfig(MinimalWith(
        {{"inputs", {{{"name", "x"}, {"datatype", DataTypeName(type)}, {"shape", {1}}}}}}));
    ASSERT_TRUE(config.ok()) << DataTypeName(type) << ": " << config.status().ToString();
    EXPECT_EQ(config->inputs[0].dtype, type);
  }
}

TEST(ConfigInferenceParseTest, SameNameAsInputAndOutputIsAllowed) {
  auto config = ParseInferenceConfig(
      MinimalWith({{"outputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {-1, 3}}}}}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
}

const char kFullConfig[] = R"({
  "accelerator": "fpga-xrt",
  "device": "cuda:1",
  "threads": {"intraOp": 4, "interOp": 0},
  "batching": {"enabled": true, "maxBatchSize": 32, "maxQueueDelayMicroseconds": 0},
  "inputs": [{"name": "input", "datatype": "FP16", "shape": [-1, 3, 224, 224]},
             {"name": "mask", "datatype": "UINT8", "shape": [-1, 224]}],
  "outputs": [{"name": "logits", "datatype": "FP32", "shape": [-1, 1000]}],
  "acceleratorOptions": {"xclbin": "model.xclbin", "nested": {"a": [1, 2]}},
  "auth": "key"
})";

TEST(ConfigInferenceParseTest, EveryFieldIsRead) {
  auto c = ParseInferenceConfig(kFullConfig);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->accelerator, "fpga-xrt");
  EXPECT_EQ(c->device, "cuda:1");
  EXPECT_EQ(c->threads.intra_op, 4);
  EXPECT_EQ(c->threads.inter_op, 0);
  EXPECT_TRUE(c->batching.enabled);
  EXPECT_EQ(c->batching.max_batch_size, 32);
  EXPECT_EQ(c->batching.max_queue_delay_microseconds, 0);
  ASSERT_EQ(c->inputs.size(), 2u);
  EXPECT_EQ(c->inputs[0].name, "input");
  EXPECT_EQ(c->inputs[0].dtype, DataType::kFp16);
  EXPECT_EQ(c->inputs[0].shape, (std::vector<int64_t>{-1, 3, 224, 224}));
  EXPECT_EQ(c->inputs[1].name, "mask");
  EXPECT_EQ(c->inputs[1].dtype, DataType::kUint8);
  ASSERT_EQ(c->outputs.size(), 1u);
  EXPECT_EQ(c->outputs[0].name, "logits");
  EXPECT_EQ(c->accelerator_options,
            json::parse(R"({"xclbin": "model.xclbin", "nested": {"a": [1, 2]}})"));
  EXPECT_EQ(c->auth, "key");
}

TEST(ConfigInferenceRoundTripTest, FullConfigRoundTrips) {
  auto first = ParseInferenceConfig(kFullConfig);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const json out = ToJson(*first);
  EXPECT_EQ(out, json::parse(kFullConfig));
  auto second = ParseInferenceConfig(out.dump());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(ToJson(*second), out);
}

TEST(ConfigInferenceRoundTripTest, MinimalConfigRoundTripsWithDefaultsFilledIn) {
  auto first = ParseInferenceConfig(Minimal().dump());
  ASSERT_TRUE(first.ok());
  const json out = ToJson(*first);
  EXPECT_EQ(out.size(), 8u) << out.dump();
  auto second = ParseInferenceConfig(out.dump());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(ToJson(*second), out);
}

TEST(ConfigInferenceSignatureTest, ToSignatureKeepsOrderTypesAndShapes) {
  auto c = ParseInferenceConfig(kFullConfig);
  ASSERT_TRUE(c.ok());
  const Signature sig = ToSignature(*c);
  ASSERT_EQ(sig.inputs.size(), 2u);
  EXPECT_EQ(sig.inputs[0].name, "input");
  EXPECT_EQ(sig.inputs[0].dtype, DataType::kFp16);
  EXPECT_EQ(sig.inputs[0].shape, (std::vector<int64_t>{-1, 3, 224, 224}));
  EXPECT_EQ(sig.inputs[1].name, "mask");
  ASSERT_EQ(sig.outputs.size(), 1u);
  EXPECT_EQ(sig.outputs[0].name, "logits");
  EXPECT_EQ(sig.outputs[0].shape, (std::vector<int64_t>{-1, 1000}));
}

// ---------------------------------------------------------------------------
// Files, example, docs.

TEST(ConfigInferenceFileTest, MissingFileIsNotFoundAndNamesThePath) {
  const std::string path = ::testing::TempDir() + "no_such_dir/inferenceconfig.json";
  auto config = ParseInferenceConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("'" + path + "' does not exist"), std::string::npos)
      << config.status().message();
}

TEST(ConfigInferenceFileTest, ErrorNamesFileAndJsonPath) {
  const std::string path = testing::WriteTempFile("ic.json", MinimalWith({{"device", "tpu"}}));
  auto config = ParseInferenceConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(
      config.status().message().rfind("inference config '" + path + "': `$.device` \"tpu\"", 0), 0u)
      << config.status().message();
}

TEST(ConfigInferenceFileTest, ExampleIsTheSampleMlp) {
  auto c = ParseInferenceConfigFile(testing::SourcePath("examples/configs/inferenceconfig.json"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->accelerator, "torch");
  ASSERT_EQ(c->inputs.size(), 1u);
  EXPECT_EQ(c->inputs[0].name, "input");
  EXPECT_EQ(c->inputs[0].dtype, DataType::kFp32);
  EXPECT_EQ(c->inputs[0].shape, (std::vector<int64_t>{-1, 4}));
  ASSERT_EQ(c->outputs.size(), 1u);
  EXPECT_EQ(c->outputs[0].name, "output");
  EXPECT_EQ(c->outputs[0].dtype, DataType::kFp32);
  EXPECT_EQ(c->outputs[0].shape, (std::vector<int64_t>{-1, 3}));
}

TEST(ConfigInferenceDocsTest, EveryKeyIsDocumented) {
  const std::string doc = testing::ReadAll(testing::SourcePath("docs/inference-config.md"));
  ASSERT_FALSE(doc.empty());
  auto c = ParseInferenceConfig(Minimal().dump());
  ASSERT_TRUE(c.ok());
  const json out = ToJson(*c);
  for (const auto& item : out.items()) {
    EXPECT_NE(doc.find("`" + item.key() + "`"), std::string::npos) << item.key();
    if (item.value().is_object()) {
      for (const auto& inner : item.value().items()) {
        EXPECT_NE(doc.find("`" + inner.key() + "`"), std::string::npos) << inner.key();
      }
    }
  }
  for (const char* key : {"name", "datatype", "shape", "entryScript", "baseImage"}) {
    EXPECT_NE(doc.find(std::string("`") + key + "`"), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace skiff::config
