// SPDX-License-Identifier: Apache-2.0
// The OIP v2 codec pairs: what one side encodes the other decodes to the
// same tensors (a router and its upstream speak through these).
#include <gtest/gtest.h>

#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"
#include "test_util.h"

namespace skiff::protocol {
namespace {

using testing::Bytes;
using testing::MakeTensor;
using testing::Spec;

std::vector<Tensor> EveryDataType() {
  return {
      MakeTensor("t", DataType::kFp32, {2, 2}, Bytes<float>({0.1f, 1e-30f, 3.4e38f, -0.0f})),
      MakeTensor("t", DataType::kFp64, {2}, Bytes<double>({0.1, 5e-324})),
      MakeTensor("t", DataType::kFp16, {3}, Bytes<uint16_t>({0x0001, 0x7BFF, 0xB555})),
      MakeTensor("t", DataType::kInt64, {1}, Bytes<int64_t>({INT64_MIN})),
      MakeTensor("t", DataType::kInt32, {1}, Bytes<int32_t>({INT32_MIN})),
      MakeTensor("t", DataType::kInt8, {1}, Bytes<int8_t>({-5})),
      MakeTensor("t", DataType::kUint8, {1}, Bytes<uint8_t>({200})),
      MakeTensor("t", DataType::kBool, {3}, Bytes<uint8_t>({1, 1, 0})),
      MakeTensor("t", DataType::kInt16, {2}, Bytes<int16_t>({INT16_MIN, 7})),
      MakeTensor("t", DataType::kUint16, {1}, Bytes<uint16_t>({65535})),
      MakeTensor("t", DataType::kUint32, {1}, Bytes<uint32_t>({4294967295u})),
      MakeTensor("t", DataType::kUint64, {2}, Bytes<uint64_t>({UINT64_MAX, 0})),
      MakeTensor("t", DataType::kBf16, {3}, Bytes<uint16_t>({0x3F80, 0x0001, 0xFF7F})),
      MakeTensor("t", DataType::kBytes, {2, 2},
                 [] {
                   std::vector<uint8_t> d;
                   for (const char* e : {"h\xc3\xa9llo", "", "tab\tquote\"", "\x01"})
                     AppendBytesElement(e, &d);
                   return d;
                 }()),
  };
}

Signature Of(const Tensor& t) {
  Signature sig;
  sig.inputs = {Spec("t", t.dtype, std::vector<int64_t>(t.shape.size(), -1))};
  sig.outputs = sig.inputs;
  return sig;
}

TEST(ProtocolInferCodec, RequestRoundTripsEveryDataType) {
  for (const Tensor& t : EveryDataType()) {
    SCOPED_TRACE(DataTypeName(t.dtype));
    auto decoded = DecodeInferRequest(EncodeInferRequest({t}), Of(t));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_EQ(decoded->inputs.size(), 1u);
    EXPECT_EQ(decoded->inputs[0].dtype, t.dtype);
    EXPECT_EQ(decoded->inputs[0].shape, t.shape);
    EXPECT_EQ(decoded->inputs[0].data, t.data);
    EXPECT_FALSE(decoded->id.has_value());
    EXPECT_TRUE(decoded->requested_outputs.empty());
  }
}

TEST(ProtocolInferCodec, RequestCarriesIdAndRequestedOutputs) {
  Signature sig;
  sig.inputs = {Spec("b", DataType::kInt32, {-1}), Spec("a", DataType::kFp32, {-1})};
  sig.outputs = {Spec("y", DataType::kFp32, {-1}), Spec("z", DataType::kFp32, {-1})};
  // Request order differs from signature order; the decoder puts them back.
  const std::vector<Tensor> inputs = {
      MakeTensor("a", DataType::kFp32, {1}, Bytes<float>({2.5f})),
      MakeTensor("b", DataType::kInt32, {2}, Bytes<int32_t>({7, 8}))};
  const std::string body = EncodeInferRequest(inputs, std::string("req \"1\""), {"z"});
  auto decoded = DecodeInferRequest(body, sig);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << body;
  EXPECT_EQ(decoded->id, std::optional<std::string>("req \"1\""));
  EXPECT_EQ(decoded->requested_outputs, std::vector<std::string>{"z"});
  ASSERT_EQ(decoded->inputs.size(), 2u);
  EXPECT_EQ(decoded->inputs[0].name, "b");
  EXPECT_EQ(decoded->inputs[0].data, inputs[1].data);
  EXPECT_EQ(decoded->inputs[1].data, inputs[0].data);
}

TEST(ProtocolInferCodec, ResponseRoundTripsEveryDataType) {
  for (const Tensor& t : EveryDataType()) {
    SCOPED_TRACE(DataTypeName(t.dtype));
    auto decoded =
        DecodeInferResponse(EncodeInferResponse("svc", "blue", std::string("7"), {t}), Of(t));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->model_name, "svc");
    EXPECT_EQ(decoded->model_version, "blue");
    EXPECT_EQ(decoded->id, std::optional<std::string>("7"));
    ASSERT_EQ(decoded->outputs.size(), 1u);
    EXPECT_EQ(decoded->outputs[0].shape, t.shape);
    EXPECT_EQ(decoded->outputs[0].data, t.data);
  }
}

TEST(ProtocolInferCodec, ResponseIsCheckedAgainstTheOutputs) {
  Signature sig;
  sig.inputs = {Spec("x", DataType::kFp32, {-1})};
  sig.outputs = {Spec("y", DataType::kFp32, {-1, 2})};
  auto no_outputs = DecodeInferResponse(R"({"model_name":"m","model_version":"1"})", sig);
  ASSERT_FALSE(no_outputs.ok());
  EXPECT_NE(no_outputs.status().message().find("no 'outputs' field"), std::string::npos)
      << no_outputs.status().message();
  auto unknown = DecodeInferResponse(
      R"({"outputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]})", sig);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown output 'x'"), std::string::npos)
      << unknown.status().message();
  auto wrong_shape = DecodeInferResponse(
      R"({"outputs":[{"name":"y","datatype":"FP32","shape":[3],"data":[1,2,3]}]})", sig);
  ASSERT_FALSE(wrong_shape.ok());
  EXPECT_EQ(wrong_shape.status().code(), StatusCode::kInvalidArgument);
  auto missing = DecodeInferResponse(R"({"outputs":[]})", sig);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing output"), std::string::npos)
      << missing.status().message();
  // A request is not a response.
  EXPECT_FALSE(DecodeInferResponse(
                   R"({"inputs":[{"name":"y","datatype":"FP32","shape":[1,2],"data":[1,2]}]})", sig)
                   .ok());
}

}  // namespace
}  // namespace skiff::protocol
