// SPDX-License-Identifier: Apache-2.0
// The typed inference config (issue 23 item 5): what the builder makes is
// what the file would say, and its errors name the file's fields.
#include "skiff/sdk/inference_config_builder.h"

#include <gtest/gtest.h>

#include <sstream>

#include "skiff/sdk/model.h"

namespace skiff::sdk {
namespace {

TEST(SdkInferenceConfigBuilder, BuildsWhatTheFileWouldSay) {
  auto ic = InferenceConfigBuilder()
                .accelerator("torch")
                .device("cpu")
                .threads(2, 1)
                .input("x", DataType::kFp32, {-1, 4})
                .output("y", DataType::kInt64, {-1})
                .batching(16, 500)
                .accelerator_options({{"jit", true}})
                .build();
  ASSERT_TRUE(ic.ok()) << ic;
  auto from_file = config::ParseInferenceConfig(R"({
    "accelerator": "torch", "device": "cpu", "threads": {"intraOp": 2, "interOp": 1},
    "batching": {"enabled": true, "maxBatchSize": 16, "maxQueueDelayMicroseconds": 500},
    "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
    "outputs": [{"name": "y", "datatype": "INT64", "shape": [-1]}],
    "acceleratorOptions": {"jit": true}})");
  ASSERT_TRUE(from_file.ok()) << from_file;
  EXPECT_EQ(config::ToJson(*ic), config::ToJson(*from_file));
}

TEST(SdkInferenceConfigBuilder, ErrorsNameTheFieldAndPrint) {
  auto no_outputs = InferenceConfigBuilder().input("x", DataType::kFp32, {1, 4}).build();
  ASSERT_FALSE(no_outputs.ok());
  EXPECT_NE(no_outputs.status().message().find("outputs"), std::string::npos) << no_outputs;
  // Batching needs a dynamic first dimension, as in the file.
  auto fixed = InferenceConfigBuilder()
                   .input("x", DataType::kFp32, {1, 4})
                   .output("y", DataType::kFp32, {1, 4})
                   .batching(8, 100)
                   .build();
  ASSERT_FALSE(fixed.ok());
  std::ostringstream printed;
  printed << fixed;
  EXPECT_EQ(printed.str(), "INVALID_ARGUMENT: " + fixed.status().message());
  EXPECT_NE(printed.str().find("$.inputs[0].shape"), std::string::npos) << printed.str();
}

}  // namespace
}  // namespace skiff::sdk
