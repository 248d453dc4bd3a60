// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/azure_score.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace skiff::protocol {
namespace {

using testing::Bytes;
using testing::MakeTensor;
using testing::Spec;

Signature Single(std::vector<int64_t> shape, DataType dtype = DataType::kFp32) {
  Signature s;
  s.inputs = {Spec("x", dtype, std::move(shape))};
  s.outputs = {Spec("y", DataType::kFp32, {-1})};
  return s;
}

Signature Multi() {
  Signature s;
  s.inputs = {Spec("a", DataType::kFp32, {-1, 2}), Spec("b", DataType::kInt64, {-1})};
  s.outputs = {Spec("y", DataType::kFp32, {-1})};
  return s;
}

std::string ErrorOf(const std::string& body, const Signature& sig) {
  auto r = DecodeAzureScoreRequest(body, sig);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(ProtocolAzureScore, SingleInputShapeFromNesting) {
  auto r = DecodeAzureScoreRequest(R"({"data": [[1, 2, 3], [4, 5, 6]]})", Single({-1, 3}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "x");
  EXPECT_EQ((*r)[0].dtype, DataType::kFp32);
  EXPECT_EQ((*r)[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ((*r)[0].data, Bytes<float>({1, 2, 3, 4, 5, 6}));
}

TEST(ProtocolAzureScore, SingleInputKeyedByNameToo) {
  auto r = DecodeAzureScoreRequest(R"({"data": {"x": [[1, 2, 3]]}})", Single({-1, 3}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape, (std::vector<int64_t>{1, 3}));
}

TEST(ProtocolAzureScore, FlatArrayIsReshapedWhenTrailingDimsAreFixed) {
  auto r = DecodeAzureScoreRequest(R"({"data": [1, 2, 3, 4, 5, 6]})", Single({-1, 3}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape, (std::vector<int64_t>{2, 3}));
  auto r3 = DecodeAzureScoreRequest(R"({"data": [1, 2, 3, 4]})", Single({1, 2, 2}));
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_EQ((*r3)[0].shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(ErrorOf(R"({"data": [1, 2, 3, 4]})", Single({-1, 3})),
            "input 'x': data is a flat array of 4 elements, which does not fill rows of 3 for "
            "the model's [-1, 3]; send a multiple of 3 elements or nested arrays");
  EXPECT_EQ(ErrorOf(R"({"data": [1, 2, 3, 4]})", Single({3, -1})),
            "input 'x': data is a flat array but the model expects rank 2 [3, -1] with a "
            "dynamic inner dimension; send nested arrays");
  EXPECT_EQ(ErrorOf(R"({"data": [1, 2, 3, 4, 5, 6, 7, 8]})", Single({1, 2, 2})),
            "input 'x': shape [2, 2, 2] does not match the model's [1, 2, 2]: dimension 0 must "
            "be 1 (-1 = any size)");
}

TEST(ProtocolAzureScore, RankAndDimsMustMatch) {
  EXPECT_EQ(ErrorOf(R"({"data": [[[1, 2, 3]]]})", Single({-1, 3})),
            "input 'x': shape [1, 1, 3] has rank 3 but the model expects rank 2 [-1, 3] (-1 = "
            "any size)");
  EXPECT_EQ(ErrorOf(R"({"data": [[1, 2]]})", Single({-1, 3})),
            "input 'x': shape [1, 2] does not match the model's [-1, 3]: dimension 1 must be 3 "
            "(-1 = any size)");
  EXPECT_EQ(ErrorOf(R"({"data": [[1, 2, 3], [4]]})", Single({-1, 3})),
            "input 'x': data is ragged: an array at nesting level 2 has 1 elements but an "
            "earlier one has 3; nested arrays must be rectangular");
  EXPECT_EQ(ErrorOf(R"({"data": [300]})", Single({-1}, DataType::kUint8)),
            "input 'x': data element 0 (row-major): 300 is out of range for UINT8 (0 to 255)");
}

TEST(ProtocolAzureScore, MultipleInputsByName) {
  auto r = DecodeAzureScoreRequest(R"({"data": {"b": [7, 8], "a": [[1, 2], [3, 4]]}})", Multi());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "a");
  EXPECT_EQ((*r)[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*r)[0].data, Bytes<float>({1, 2, 3, 4}));
  EXPECT_EQ((*r)[1].name, "b");
  EXPECT_EQ((*r)[1].dtype, DataType::kInt64);
  EXPECT_EQ((*r)[1].data, Bytes<int64_t>({7, 8}));
}

TEST(ProtocolAzureScore, Errors) {
  EXPECT_EQ(ErrorOf(R"({"data": [1, 2]})", Multi()),
            "this model has 2 inputs, so data must be an object keyed by input name, e.g. "
            "{\"data\": {\"a\": [...], \"b\": [...]}}");
  EXPECT_EQ(ErrorOf(R"({"data": {"a": [[1, 2]]}})", Multi()),
            "missing input 'b' (INT64 [-1]) in data; the model's inputs are: a, b");
  EXPECT_EQ(ErrorOf(R"({"data": {"a": [[1, 2]], "c": [1]}})", Multi()),
            "unknown input 'c' in data; the model's inputs are: a, b");
  EXPECT_EQ(ErrorOf(R"({"data": {"b": [1], "b": [1]}})", Multi()),
            "input 'b' appears more than once in data; send each input once");
  EXPECT_EQ(ErrorOf(R"({"data": {"b": 1}})", Multi()),
            "input 'b': data must be an array, got a number");
  EXPECT_EQ(ErrorOf(R"({"input_data": [1]})", Single({-1})),
            "unknown field 'input_data'; the body must be {\"data\": ...}, e.g. {\"data\": "
            "[...]}");
  EXPECT_EQ(ErrorOf(R"({})", Single({-1})), "the body has no 'data' field, e.g. {\"data\": [...]}");
  EXPECT_EQ(ErrorOf(R"({"data": "x"})", Single({-1})),
            "field 'data' must be an array or an object, got a string, e.g. {\"data\": [...]}");
  EXPECT_EQ(ErrorOf(R"([1])", Single({-1})), "the body must be a JSON object, got an array");
  EXPECT_EQ(ErrorOf(R"({"data": [1,)", Single({-1})),
            "body is not valid JSON: at byte 12: syntax error while parsing value - unexpected "
            "end of input; expected '[', '{', or a literal");
}

TEST(ProtocolAzureScore, EncodesResult) {
  EXPECT_EQ(EncodeAzureScoreResponse(
                {MakeTensor("y", DataType::kFp32, {2, 2}, Bytes<float>({1, 2.5f, 3, 4}))}),
            R"({"result":[[1.0,2.5],[3.0,4.0]]})");
  EXPECT_EQ(
      EncodeAzureScoreResponse({MakeTensor("label", DataType::kInt64, {2}, Bytes<int64_t>({1, 0})),
                                MakeTensor("ok", DataType::kBool, {1, 1}, Bytes<uint8_t>({1})),
                                MakeTensor("score", DataType::kFp64, {}, Bytes<double>({0.25}))}),
      R"({"result":{"label":[1,0],"ok":[[true]],"score":0.25}})");
}

// Issue 20: a text model on the Azure route: strings in, strings out.
TEST(ProtocolAzureScore, BytesAreStrings) {
  auto t = DecodeAzureScoreRequest(R"({"data": [["a", "b\u00e9"], ["", "d"]]})",
                                   Single({-1, 2}, DataType::kBytes));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<uint8_t> want;
  for (const char* e : {"a", "b\xc3\xa9", "", "d"}) AppendBytesElement(e, &want);
  EXPECT_EQ((*t)[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*t)[0].data, want);
  EXPECT_EQ(EncodeAzureScoreResponse({MakeTensor("y", DataType::kBytes, {2, 2}, want)}),
            "{\"result\":[[\"a\",\"b\xc3\xa9\"],[\"\",\"d\"]]}");
}

}  // namespace
}  // namespace skiff::protocol
