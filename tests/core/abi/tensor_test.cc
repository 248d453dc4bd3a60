// SPDX-License-Identifier: Apache-2.0
#include "skiff/tensor.h"

#include <gtest/gtest.h>

namespace skiff {
namespace {

TEST(AbiTensorTest, DataTypeNamesRoundTripAndSizes) {
  const std::vector<std::pair<const char*, size_t>> expected = {
      {"FP32", 4}, {"FP64", 8}, {"FP16", 2}, {"INT64", 8},
      {"INT32", 4}, {"INT8", 1}, {"UINT8", 1}, {"BOOL", 1},
      // Issue 20: the rest of the OIP datatypes (BYTES varies: size 0).
      {"INT16", 2}, {"UINT16", 2}, {"UINT32", 4}, {"UINT64", 8}, {"BF16", 2}, {"BYTES", 0}};
  ASSERT_EQ(AllDataTypes().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    DataType t = AllDataTypes()[i];
    EXPECT_STREQ(DataTypeName(t), expected[i].first);
    EXPECT_EQ(DataTypeSize(t), expected[i].second) << expected[i].first;
    EXPECT_EQ(ParseDataType(expected[i].first), t);
  }
  EXPECT_FALSE(ParseDataType("fp32").has_value());
  EXPECT_FALSE(ParseDataType("bf16").has_value());
  EXPECT_EQ(MinElementSize(DataType::kBytes), 4u);
  EXPECT_EQ(MinElementSize(DataType::kFp16), 2u);
}

TEST(AbiTensorTest, BytesElementsAreLengthPrefixed) {
  std::vector<uint8_t> data;
  AppendBytesElement("hi", &data);
  AppendBytesElement("", &data);
  AppendBytesElement(std::string(300, 'x'), &data);
  ASSERT_EQ(data.size(), 4u + 2 + 4 + 4 + 300);
  EXPECT_EQ((std::vector<uint8_t>(data.begin(), data.begin() + 6)),
            (std::vector<uint8_t>{2, 0, 0, 0, 'h', 'i'}));
  EXPECT_EQ(data[10], 0x2C);  // 300 = 0x012C, little-endian
  EXPECT_EQ(data[11], 0x01);
  auto elements = SplitBytesElements(data.data(), data.size());
  ASSERT_TRUE(elements.has_value());
  EXPECT_EQ(*elements, (std::vector<std::string_view>{"hi", "", std::string(300, 'x')}));
  EXPECT_EQ(CountBytesElements(data.data(), data.size()), 3);
  // A length running past the end, a prefix cut short: malformed.
  EXPECT_EQ(CountBytesElements(data.data(), data.size() - 1), -1);
  EXPECT_EQ(CountBytesElements(data.data(), 3), -1);
  EXPECT_FALSE(SplitBytesElements(data.data(), 5).has_value());
  EXPECT_EQ(CountBytesElements(data.data(), 0), 0);
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
