// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/infer_response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "skiff/protocol/infer_request.h"
#include "test_util.h"

namespace skiff::protocol {
namespace {

using testing::Bytes;
using testing::MakeTensor;
using testing::Spec;

TEST(ProtocolInferResponse, EveryDatatypeEncodesExactly) {
  struct Case {
    Tensor tensor;
    std::string data;
  };
  const Case cases[] = {
      {MakeTensor("o", DataType::kFp32, {3}, Bytes<float>({1.5f, 0.1f, -2})), "[1.5,0.1,-2.0]"},
      {MakeTensor("o", DataType::kFp64, {3}, Bytes<double>({0.1, 1e300, -0.5})),
       "[0.1,1e+300,-0.5]"},
      {MakeTensor("o", DataType::kFp16, {3}, Bytes<uint16_t>({0x3C00, 0x2E66, 0x0001})),
       "[1.0,0.099975586,5.9604645e-08]"},
      {MakeTensor("o", DataType::kInt64, {2}, Bytes<int64_t>({INT64_MIN, INT64_MAX})),
       "[-9223372036854775808,9223372036854775807]"},
      {MakeTensor("o", DataType::kInt32, {2}, Bytes<int32_t>({-7, 2147483647})), "[-7,2147483647]"},
      {MakeTensor("o", DataType::kInt8, {2}, Bytes<int8_t>({-128, 127})), "[-128,127]"},
      {MakeTensor("o", DataType::kUint8, {2}, Bytes<uint8_t>({0, 255})), "[0,255]"},
      {MakeTensor("o", DataType::kBool, {2}, Bytes<uint8_t>({1, 0})), "[true,false]"},
      {MakeTensor("o", DataType::kFp32, {2},
                  Bytes<float>({std::numeric_limits<float>::quiet_NaN(),
                                std::numeric_limits<float>::infinity()})),
       "[null,null]"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EncodeInferResponse("m", "1", std::nullopt, {c.tensor}),
              std::string(R"({"model_name":"m","model_version":"1","outputs":[{"name":"o",)") +
                  R"("datatype":")" + DataTypeName(c.tensor.dtype) + R"(","shape":[)" +
                  std::to_string(c.tensor.shape[0]) + R"(],"data":)" + c.data + "}]}");
  }
}

TEST(ProtocolInferResponse, IdEscapingAndRequestedOutputs) {
  const std::vector<Tensor> outputs = {
      MakeTensor("y", DataType::kFp32, {1, 2}, Bytes<float>({1, 2})),
      MakeTensor("z", DataType::kInt64, {1}, Bytes<int64_t>({3}))};
  EXPECT_EQ(EncodeInferResponse("m\"x", "2", std::string("a\nb"), outputs, {"z"}),
            R"({"model_name":"m\"x","model_version":"2","id":"a\nb","outputs":[)"
            R"({"name":"z","datatype":"INT64","shape":[1],"data":[3]}]})");
  EXPECT_EQ(EncodeInferResponse("m", "2", std::nullopt, outputs),
            R"({"model_name":"m","model_version":"2","outputs":[)"
            R"({"name":"y","datatype":"FP32","shape":[1,2],"data":[1.0,2.0]},)"
            R"({"name":"z","datatype":"INT64","shape":[1],"data":[3]}]})");
}

TEST(ProtocolInferResponse, RoundTripsThroughTheDecoder) {
  // Every datatype: encode, feed the output back as a request, same bytes.
  const std::vector<Tensor> tensors = {
      MakeTensor("t", DataType::kFp32, {2, 2}, Bytes<float>({0.1f, 1e-30f, 3.4e38f, -0.0f})),
      MakeTensor("t", DataType::kFp64, {2}, Bytes<double>({0.1, 5e-324})),
      MakeTensor("t", DataType::kFp16, {3}, Bytes<uint16_t>({0x0001, 0x7BFF, 0xB555})),
      MakeTensor("t", DataType::kInt64, {1}, Bytes<int64_t>({INT64_MIN})),
      MakeTensor("t", DataType::kInt32, {1}, Bytes<int32_t>({INT32_MIN})),
      MakeTensor("t", DataType::kInt8, {1}, Bytes<int8_t>({-5})),
      MakeTensor("t", DataType::kUint8, {1}, Bytes<uint8_t>({200})),
      MakeTensor("t", DataType::kBool, {3}, Bytes<uint8_t>({1, 1, 0})),
  };
  for (const Tensor& t : tensors) {
    SCOPED_TRACE(DataTypeName(t.dtype));
    auto response = nlohmann::json::parse(EncodeInferResponse("m", "1", std::nullopt, {t}));
    const std::string request = nlohmann::json{{"inputs", response["outputs"]}}.dump();
    Signature sig;
    sig.inputs = {Spec("t", t.dtype, std::vector<int64_t>(t.shape.size(), -1))};
    auto decoded = DecodeInferRequest(request, sig);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->inputs[0].shape, t.shape);
    EXPECT_EQ(decoded->inputs[0].data, t.data);
  }
}

TEST(ProtocolInferResponse, Error) {
  EXPECT_EQ(EncodeError("input 'x': bad \"value\"\\"), R"({"error":"input 'x': bad \"value\"\\"})");
  EXPECT_EQ(EncodeError(std::string("a\x01", 2)), R"({"error":"a\u0001"})");
}

}  // namespace
}  // namespace skiff::protocol
