#include <gtest/gtest.h>

#include "auth_policy.h"
#include "base64url.h"
#include "skiff/config/json_reader.h"

namespace skiff::auth {
namespace {

// Token segments and key files are read with the one JSON reader.
StatusOr<nlohmann::json> Strict(std::string_view text) {
  return config::ParseJsonObject(text, "token segment");
}

TEST(AuthCodecTest, Base64UrlRoundTripsAndIsStrict) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    auto d = Base64UrlDecode(Base64UrlEncode(s));
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(Base64UrlDecode("Zm9v=").has_value());  // padding
  EXPECT_FALSE(Base64UrlDecode("Zm+v").has_value());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm9 v").has_value());  // whitespace
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());      // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());     // non-zero trailing bits
  EXPECT_TRUE(Base64UrlDecode("Zg").has_value());
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

}  // namespace
}  // namespace skiff::auth
