#include "skiff/protocol/fp16.h"
#include <gtest/gtest.h>
TEST(ProtocolFp16, Placeholder) { EXPECT_EQ(skiff::protocol::HalfFromDouble(1.0), 0x3C00); }
