#include "skiff/tensor.h"

#include <gtest/gtest.h>

namespace skiff {
namespace {

TEST(AbiTensorTest, DataTypeNamesRoundTripAndSizes) {
  const std::vector<std::pair<const char*, size_t>> expected = {
      {"FP32", 4}, {"FP64", 8}, {"FP16", 2}, {"INT64", 8},
      {"INT32", 4}, {"INT8", 1}, {"UINT8", 1}, {"BOOL", 1}};
  ASSERT_EQ(AllDataTypes().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    DataType t = AllDataTypes()[i];
    EXPECT_STREQ(DataTypeName(t), expected[i].first);
    EXPECT_EQ(DataTypeSize(t), expected[i].second) << expected[i].first;
    EXPECT_EQ(ParseDataType(expected[i].first), t);
  }
  EXPECT_FALSE(ParseDataType("fp32").has_value());
  EXPECT_FALSE(ParseDataType("BF16").has_value());
}

TEST(AbiTensorTest, NumElementsAndShapeString) {
  Tensor t{"x", DataType::kFp32, {2, 3, 4}, {}};
  EXPECT_EQ(t.NumElements(), 24);
  t.shape = {};
  EXPECT_EQ(t.NumElements(), 1);
  t.shape = {2, -1};
  EXPECT_EQ(t.NumElements(), -1);
  EXPECT_EQ(ShapeToString({-1, 4}), "[-1, 4]");
  EXPECT_EQ(ShapeToString({}), "[]");
}

}  // namespace
}  // namespace skiff
