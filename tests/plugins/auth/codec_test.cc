// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "auth_policy.h"
#include "skiff/config/json_reader.h"
#include "skiff/util/base64.h"

namespace skiff::auth {
namespace {

// Token segments and key files are read with the one JSON reader.
StatusOr<nlohmann::json> Strict(std::string_view text) {
  return config::ParseJsonObject(text, "token segment");
}

TEST(AuthCodecTest, Base64UrlRoundTripsAndIsStrict) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    auto d = Base64Decode(Base64Encode(s, Base64Alphabet::kUrl), Base64Alphabet::kUrl);
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("\xfb\xff", Base64Alphabet::kUrl), "-_8");
  EXPECT_FALSE(Base64Decode("Zm9v=", Base64Alphabet::kUrl).has_value());  // padding
  EXPECT_FALSE(Base64Decode("Zm+v", Base64Alphabet::kUrl).has_value());   // standard alphabet
  EXPECT_FALSE(Base64Decode("Zm9 v", Base64Alphabet::kUrl).has_value());  // whitespace
  EXPECT_FALSE(Base64Decode("Z", Base64Alphabet::kUrl).has_value());      // impossible length
  EXPECT_FALSE(Base64Decode("Zh", Base64Alphabet::kUrl).has_value());     // non-zero trailing bits
  EXPECT_TRUE(Base64Decode("Zg", Base64Alphabet::kUrl).has_value());
}

TEST(AuthCodecTest, StrictJsonRefusesDuplicatesAtAnyDepth) {
  EXPECT_TRUE(Strict(R"({"a":1,"b":{"a":2}})").ok());
  EXPECT_FALSE(Strict(R"({"a":1,"a":2})").ok());
  EXPECT_FALSE(Strict(R"({"x":{"a":1,"a":1}})").ok());
  EXPECT_FALSE(Strict(R"({"x":[{"a":1,"a":1}]})").ok());
  EXPECT_TRUE(Strict(R"({"x":[{"a":1},{"a":1}]})").ok());
  EXPECT_FALSE(Strict("[1]").ok());
  EXPECT_FALSE(Strict("{").ok());
  EXPECT_FALSE(Strict("{} x").ok());
}

TEST(AuthCodecTest, BearerGrammar) {
  EXPECT_EQ(*ParseBearer("Bearer abc"), "abc");
  EXPECT_EQ(*ParseBearer("bearer abc"), "abc");
  EXPECT_EQ(*ParseBearer("BEARER abc"), "abc");
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearer  abc", "Basic abc", "Bearerabc",
                          "Bearer abc def", "Bearer\tabc", " Bearer abc", "Bearer abc\n"}) {
    auto r = ParseBearer(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "'";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    }
  }
}

// The plugin took 1-63 characters starting with a digit, the SDK 3-32
// starting with a letter: a service the plugin configured could not be
// deployed. Both now use skiff/util/service_name.h.
TEST(AuthServiceNameTest, UsesTheOneServiceNameRule) {
  ServiceAuthConfig config;
  config.mode = AuthMode::kNone;
  for (const char* name : {"ab", "1svc", "svc-", "a234567890123456789012345678901ab"}) {
    config.service = name;
    EXPECT_EQ(BuildServicePolicy(config).status().code(), StatusCode::kInvalidArgument) << name;
  }
  config.service = "my-svc";
  EXPECT_TRUE(BuildServicePolicy(config).ok());
}

}  // namespace
}  // namespace skiff::auth
