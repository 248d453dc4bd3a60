// SPDX-License-Identifier: Apache-2.0
// The one JSON-to-YAML rule (skiff/yaml/json_to_yaml.h): every string comes
// back from yaml-cpp unchanged, as a value, a key or a list element, in both
// JSON flavours its users hold (the CLI's ordered JSON, compute-aks's JSON).
#include "skiff/yaml/json_to_yaml.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "yaml_special_strings.h"

namespace skiff::yaml {
namespace {

using skiff::testing::YamlOtherTypeStrings;
using skiff::testing::YamlSyntaxStrings;

template <class Json>
std::string Write(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitJson(out, value);
  EXPECT_TRUE(out.good()) << out.GetLastError();
  return out.c_str();
}

// `s` as a value, a key and a list element, loaded back.
template <class Json>
void ExpectRoundTrip(const std::string& s, bool must_be_quoted) {
  Json doc = Json::object();
  doc["value"] = s;
  doc[s] = "as key";
  doc["list"] = Json::array({s, 1});
  const std::string text = Write(doc);
  YAML::Node back;
  try {
    back = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "'" << s << "' gave YAML that does not load: " << e.what() << "\n" << text;
    return;
  }
  for (const YAML::Node& node : {back["value"], back["list"][0]}) {
    ASSERT_TRUE(node.IsScalar()) << "'" << s << "' in\n" << text;
    EXPECT_EQ(node.Scalar(), s) << text;
    if (must_be_quoted) {
      EXPECT_EQ(node.Tag(), "!") << "'" << s << "' is plain in\n" << text;
    }
  }
  EXPECT_EQ(back[s].as<std::string>(), "as key") << "'" << s << "' as a key in\n" << text;
  for (const auto& kv : back) {
    if (kv.second.IsScalar() && kv.second.Scalar() == "as key" && must_be_quoted) {
      EXPECT_EQ(kv.first.Tag(), "!") << "key '" << s << "' is plain in\n" << text;
    }
  }
  EXPECT_EQ(back["list"][1].as<int>(), 1);
}

TEST(SkiffYaml, StringsOfOtherTypesAreQuoted) {
  for (const std::string& s : YamlOtherTypeStrings()) {
    EXPECT_TRUE(ReadsAsAnotherType(s)) << s;
    ExpectRoundTrip<nlohmann::json>(s, true);
    ExpectRoundTrip<nlohmann::ordered_json>(s, true);
  }
}

TEST(SkiffYaml, StringsWithYamlSyntaxComeBackUnchanged) {
  for (const std::string& s : YamlSyntaxStrings()) {
    ExpectRoundTrip<nlohmann::json>(s, false);
    ExpectRoundTrip<nlohmann::ordered_json>(s, false);
  }
}

TEST(SkiffYaml, PlainWordsStayPlainAndOtherTypesKeepTheirType) {
  for (const char* s : {"plain", "skiff-server", "sha256:abc", "a-b.c", "v1.2.3", "/usr/bin"}) {
    EXPECT_FALSE(ReadsAsAnotherType(s)) << s;
  }
  const nlohmann::json doc = {{"t", true}, {"num", 80}, {"f", 1.5}, {"z", nullptr}, {"s", "x"}};
  const std::string text = Write(doc);
  EXPECT_NE(text.find("t: true"), std::string::npos) << text;
  EXPECT_NE(text.find("num: 80"), std::string::npos) << text;
  EXPECT_NE(text.find("s: x"), std::string::npos) << text;
  const YAML::Node back = YAML::Load(text);
  EXPECT_TRUE(back["t"].as<bool>());
  EXPECT_EQ(back["num"].as<int>(), 80);
  EXPECT_DOUBLE_EQ(back["f"].as<double>(), 1.5);
  EXPECT_TRUE(back["z"].IsNull());
  // One trailing newline: a literal block, as kubectl users expect.
  EXPECT_NE(Write(nlohmann::json{{"m", "a\nb\n"}}).find("m: |"), std::string::npos);
}

}  // namespace
}  // namespace skiff::yaml
