// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/metadata.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace skiff::protocol {
namespace {

using testing::Spec;

TEST(ProtocolMetadata, Server) {
  EXPECT_EQ(ServerMetadata("0.1.0").dump(),
            R"({"extensions":["binary_tensor_data"],"name":"skiff","version":"0.1.0"})");
}

TEST(ProtocolMetadata, Model) {
  Signature sig;
  sig.inputs = {Spec("x", DataType::kFp32, {-1, 3})};
  sig.outputs = {Spec("y", DataType::kInt64, {-1}), Spec("p", DataType::kFp16, {2})};
  EXPECT_EQ(ModelMetadata("iris", {"1", "2"}, sig).dump(),
            R"({"inputs":[{"datatype":"FP32","name":"x","shape":[-1,3]}],"name":"iris",)"
            R"("outputs":[{"datatype":"INT64","name":"y","shape":[-1]},)"
            R"({"datatype":"FP16","name":"p","shape":[2]}],"platform":"skiff",)"
            R"("versions":["1","2"]})");
}

// Issue 20.4: the platform is what the caller passes (the plugin's name for
// the model); an empty one falls back to "skiff".
TEST(ProtocolMetadata, PlatformFromThePlugin) {
  Signature sig;
  sig.inputs = {Spec("x", DataType::kFp32, {1})};
  EXPECT_EQ(ModelMetadata("mlp", {"3"}, "pytorch_libtorch", sig)["platform"], "pytorch_libtorch");
  EXPECT_EQ(ModelMetadata("mlp", {"3"}, "", sig)["platform"], "skiff");
}

}  // namespace
}  // namespace skiff::protocol
