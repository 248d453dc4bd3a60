// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/swagger.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace skiff::protocol {
namespace {

using nlohmann::json;
using testing::Spec;

TEST(ProtocolSwagger, SingleInputDocument) {
  Signature sig;
  sig.inputs = {Spec("x", DataType::kFp32, {-1, 2})};
  sig.outputs = {Spec("y", DataType::kInt64, {-1})};
  const json doc = json::parse(SwaggerJson("iris", sig, "3"));
  EXPECT_EQ(doc["swagger"], "2.0");
  EXPECT_EQ(doc["info"]["title"], "iris");
  EXPECT_EQ(doc["info"]["version"], "3");
  EXPECT_EQ(doc["basePath"], "/api/v1/service/iris");
  EXPECT_EQ(doc["securityDefinitions"]["Bearer"],
            json::parse(R"({"type": "apiKey", "name": "Authorization", "in": "header",
              "description": "For example: Bearer abc123 (a service key or an Azure AD / OIDC token)."})"));
  ASSERT_EQ(doc["paths"].size(), 2u);
  EXPECT_TRUE(doc["paths"]["/"].contains("get"));
  const json& score = doc["paths"]["/score"]["post"];
  EXPECT_EQ(score["security"], json::parse(R"([{"Bearer": []}])"));
  EXPECT_EQ(score["parameters"][0]["schema"]["$ref"], "#/definitions/ServiceInput");
  EXPECT_EQ(score["responses"]["200"]["schema"]["$ref"], "#/definitions/ServiceOutput");
  EXPECT_EQ(doc["definitions"]["ServiceInput"], json::parse(R"({
    "type": "object",
    "properties": {"data": {"type": "array", "items": {"type": "array", "minItems": 2,
        "maxItems": 2, "items": {"type": "number", "format": "float"}}}},
    "required": ["data"],
    "example": {"data": [[0.0, 0.0]]}})"));
  EXPECT_EQ(doc["definitions"]["ServiceOutput"], json::parse(R"({
    "type": "object",
    "properties": {"result": {"type": "array", "items": {"type": "integer", "format": "int64"}}},
    "required": ["result"],
    "example": {"result": [0]}})"));
  EXPECT_EQ(doc["definitions"]["ErrorResponse"]["properties"]["error"]["type"], "string");
}

TEST(ProtocolSwagger, MultiInputDocument) {
  Signature sig;
  sig.inputs = {Spec("a", DataType::kBool, {2}), Spec("b", DataType::kInt8, {-1})};
  sig.outputs = {Spec("y", DataType::kFp64, {}), Spec("z", DataType::kFp16, {1})};
  const json doc = json::parse(SwaggerJson("svc", sig, "1"));
  EXPECT_EQ(doc["definitions"]["ServiceInput"]["example"],
            json::parse(R"({"data": {"a": [false, false], "b": [0]}})"));
  EXPECT_EQ(doc["definitions"]["ServiceInput"]["properties"]["data"]["required"],
            json::parse(R"(["a", "b"])"));
  EXPECT_EQ(doc["definitions"]["ServiceOutput"]["example"],
            json::parse(R"({"result": {"y": 0.0, "z": [0.0]}})"));
  EXPECT_EQ(doc["definitions"]["ServiceOutput"]["properties"]["result"]["properties"]["y"],
            json::parse(R"({"type": "number", "format": "double"})"));
}

// Issue 20: BYTES are strings in the Azure route, BF16 numbers.
TEST(ProtocolSwagger, BytesAreStringsAndBf16Numbers) {
  Signature sig;
  sig.inputs = {Spec("text", DataType::kBytes, {-1})};
  sig.outputs = {Spec("score", DataType::kBf16, {-1})};
  const json doc = json::parse(SwaggerJson("svc", sig, "1"));
  EXPECT_EQ(doc["definitions"]["ServiceInput"]["example"], json::parse(R"({"data": [""]})"));
  EXPECT_EQ(doc["definitions"]["ServiceInput"]["properties"]["data"]["items"]["type"], "string");
  EXPECT_EQ(doc["definitions"]["ServiceOutput"]["example"], json::parse(R"({"result": [0.0]})"));
}

}  // namespace
}  // namespace skiff::protocol
