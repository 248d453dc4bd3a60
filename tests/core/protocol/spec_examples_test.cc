// SPDX-License-Identifier: Apache-2.0
// The request and response examples of the OIP REST spec (KServe) and of
// Triton's binary tensor extension, replayed byte for byte from
// spec_examples/ (sources and the examples' own defects in its README.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"
#include "test_util.h"

namespace skiff::protocol {
namespace {

using json = nlohmann::json;
using testing::Bytes;
using testing::MakeTensor;
using testing::Spec;

std::string Example(const std::string& name) {
  const char* src = std::getenv("SKIFF_SOURCE_DIR");
  const std::string path =
      std::string(src ? src : ".") + "/tests/core/protocol/spec_examples/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The model both examples assume: input0 UINT32 [2, 2], input1 BOOL [3],
// output0 FP32 [3, 2].
Signature MyModel() {
  Signature s;
  s.inputs = {Spec("input0", DataType::kUint32, {2, 2}), Spec("input1", DataType::kBool, {3})};
  s.outputs = {Spec("output0", DataType::kFp32, {3, 2})};
  return s;
}

Tensor Output0() {
  return MakeTensor("output0", DataType::kFp32, {3, 2},
                    Bytes<float>({1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f}));
}

std::string Raw(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

TEST(OipSpecExamples, KServeRequestAsPrintedIsRefusedForItsElementCount) {
  auto r = DecodeInferRequest(Example("kserve_infer_request.json"), MyModel());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "input 'input1': shape [3] needs 3 elements but data has 1");
}

TEST(OipSpecExamples, KServeRequestAndResponse) {
  std::string body = Example("kserve_infer_request.json");
  const std::string printed = "\"data\" : [ true ]";
  ASSERT_NE(body.find(printed), std::string::npos);
  body.replace(body.find(printed), printed.size(), "\"data\" : [ true, false, true ]");
  auto r = DecodeInferRequest(body, MyModel());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, std::optional<std::string>("42"));
  EXPECT_EQ(r->inputs[0].data, Bytes<uint32_t>({1, 2, 3, 4}));
  EXPECT_EQ(r->inputs[1].data, Bytes<uint8_t>({1, 0, 1}));
  EXPECT_EQ(r->requested_outputs, std::vector<std::string>{"output0"});
  EXPECT_TRUE(r->binary_outputs.empty());

  std::string expected = Example("kserve_infer_response.json");
  expected.insert(expected.find("\"42\"") + 4, ",");  // the spec's missing comma
  const json want = json::parse(expected);
  const json got =
      json::parse(EncodeInferResponse("mymodel", "1", r->id, {Output0()}, r->requested_outputs));
  EXPECT_EQ(got["id"], want["id"]);
  EXPECT_EQ(got["outputs"], want["outputs"]);
}

TEST(OipSpecExamples, TritonBinaryRequestAndResponse) {
  const std::string header = Example("triton_binary_request.json");
  const std::string body =
      header + Raw(Bytes<uint32_t>({1, 2, 3, 4})) + Raw(Bytes<uint8_t>({1, 0, 1}));
  ASSERT_EQ(body.size(), header.size() + 19);  // "the total size of the binary data is 19 bytes"
  auto r = DecodeInferRequest(body, MyModel(), {}, std::to_string(header.size()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, Bytes<uint32_t>({1, 2, 3, 4}));
  EXPECT_EQ(r->inputs[1].data, Bytes<uint8_t>({1, 0, 1}));
  EXPECT_EQ(r->binary_outputs, std::vector<std::string>{"output0"});

  EncodedBody e = EncodeInferResponse("mymodel", "1", r->id, {Output0()}, r->requested_outputs,
                                      r->binary_outputs);
  ASSERT_TRUE(e.json_length.has_value());
  ASSERT_EQ(e.body.size(), *e.json_length + 24);  // "<yy+24>"
  const json want = json::parse(Example("triton_binary_response.json"));
  EXPECT_EQ(json::parse(e.body.substr(0, *e.json_length))["outputs"], want["outputs"]);
  EXPECT_EQ(e.body.substr(*e.json_length), Raw(Output0().data));
}

}  // namespace
}  // namespace skiff::protocol
