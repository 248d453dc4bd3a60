// SPDX-License-Identifier: Apache-2.0
#include "skiff/status.h"

#include <memory>

#include <gtest/gtest.h>

#include <sstream>

#include "skiff/status_print.h"

namespace skiff {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("x must be even, got " + std::to_string(x));
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  SKIFF_ASSIGN_OR_RETURN(int h, Half(x));
  SKIFF_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckPositive(int x) {
  SKIFF_RETURN_IF_ERROR(x > 0 ? OkStatus() : InvalidArgument("not positive"));
  return OkStatus();
}

TEST(AbiStatusTest, OkAndErrors) {
  EXPECT_TRUE(OkStatus().ok());
  EXPECT_EQ(OkStatus().ToString(), "OK");
  Status s = NotFound("model 'm:3' is not registered");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: model 'm:3' is not registered");
  EXPECT_EQ(s.WithContext("deploy").message(), "deploy: model 'm:3' is not registered");
}

TEST(AbiStatusTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "x must be even, got 3");
  EXPECT_TRUE(CheckPositive(1).ok());
  EXPECT_EQ(CheckPositive(0).message(), "not positive");
}

TEST(AbiStatusTest, StatusOrHoldsMoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(5);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> taken = std::move(p).value();
  EXPECT_EQ(*taken, 5);
}

// Issue 23 item 5: an application prints a result as it is.
TEST(AbiStatusTest, StatusAndStatusOrPrint) {
  std::ostringstream out;
  out << NotFound("model 'm:3' is not registered");
  EXPECT_EQ(out.str(), "NOT_FOUND: model 'm:3' is not registered");
  out.str("");
  out << StatusOr<int>(InvalidArgument("x must be even")) << " | " << StatusOr<int>(4) << " | "
      << StatusOr<std::unique_ptr<int>>(std::make_unique<int>(5)) << " | " << OkStatus();
  EXPECT_EQ(out.str(), "INVALID_ARGUMENT: x must be even | 4 | OK | OK");
}

}  // namespace
}  // namespace skiff
