// SPDX-License-Identifier: Apache-2.0
#include "skiff/signature_check.h"

#include <gtest/gtest.h>

namespace skiff {
namespace {

Signature TwoInputs() {
  Signature s;
  s.inputs = {{"x", DataType::kFp32, {-1, 4}}, {"ids", DataType::kInt64, {-1}}};
  s.outputs = {{"y", DataType::kFp32, {-1, 3}}};
  return s;
}

Tensor Make(std::string name, DataType dtype, std::vector<int64_t> shape) {
  Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(static_cast<size_t>(t.NumElements()) * DataTypeSize(dtype));
  return t;
}

TEST(SignatureCheck, AcceptsMatchingInputsWithAnyDynamicDim) {
  EXPECT_TRUE(CheckInputs(TwoInputs(),
                          {Make("x", DataType::kFp32, {7, 4}), Make("ids", DataType::kInt64, {3})})
                  .ok());
  // Unnamed tensors are taken in signature order.
  EXPECT_TRUE(
      CheckInputs(TwoInputs(), {Make("", DataType::kFp32, {0, 4}), Make("", DataType::kInt64, {1})})
          .ok());
}

TEST(SignatureCheck, WrongShapeNamesTheInput) {
  Status s = CheckInputs(TwoInputs(),
                         {Make("x", DataType::kFp32, {2, 5}), Make("ids", DataType::kInt64, {2})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "input 'x': expected shape [-1, 4], got [2, 5]");
  s = CheckInputs(TwoInputs(),
                  {Make("x", DataType::kFp32, {2, 4}), Make("ids", DataType::kInt64, {2, 1})});
  EXPECT_EQ(s.message(), "input 'ids': expected shape [-1], got [2, 1]");
}

TEST(SignatureCheck, WrongDtypeNamesTheInput) {
  Status s = CheckInputs(TwoInputs(),
                         {Make("x", DataType::kFp32, {2, 4}), Make("ids", DataType::kInt32, {2})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "input 'ids': expected dtype INT64, got INT32");
}

TEST(SignatureCheck, WrongCountAndWrongName) {
  Status s = CheckInputs(TwoInputs(), {Make("x", DataType::kFp32, {2, 4})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "expected 2 inputs, got 1");
  s = CheckInputs(TwoInputs(),
                  {Make("ids", DataType::kInt64, {2}), Make("x", DataType::kFp32, {2, 4})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expected 'x', got 'ids'"), std::string::npos) << s.message();
}

TEST(SignatureCheck, ByteSizeMustMatchShape) {
  Tensor x = Make("x", DataType::kFp32, {2, 4});
  x.data.pop_back();
  Status s = CheckInputs(TwoInputs(), {x, Make("ids", DataType::kInt64, {2})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "input 'x': shape [2, 4] of FP32 needs 32 bytes, got 31");
}

TEST(SignatureCheck, OutputMismatchIsFailedPrecondition) {
  Status s = CheckOutputs(TwoInputs(), {Make("y", DataType::kFp64, {2, 3})});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "output 'y': expected dtype FP32, got FP64");
  EXPECT_TRUE(CheckOutputs(TwoInputs(), {Make("y", DataType::kFp32, {2, 3})}).ok());
}

}  // namespace
}  // namespace skiff
