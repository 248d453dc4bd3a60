// SPDX-License-Identifier: Apache-2.0
#include "k8s/yaml_emitter.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "k8s/render.h"
#include "sample_specs.h"
#include "yaml_special_strings.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;

// Loads YAML back as JSON: quoted scalars ("!" tag) stay strings, plain ones
// are typed as a YAML 1.2 core-schema loader would.
json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = ToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(ToJson(e));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "!") return s;
      if (s == "true" || s == "false") return s == "true";
      if (s == "null" || s == "~") return nullptr;
      json number = json::parse(s, nullptr, false);
      if (!number.is_discarded() && number.is_number()) return number;
      return s;
    }
    default:
      return nullptr;
  }
}

TEST(ComputeAksK8sYaml, RoundTripsEveryRenderedSample) {
  for (const auto& sample : testing::SampleInputs()) {
    auto objects = RenderService(sample.input);
    ASSERT_TRUE(objects.ok()) << sample.name << ": " << objects.status().ToString();
    const std::string yaml = ToYaml(*objects);
    std::vector<YAML::Node> docs = YAML::LoadAll(yaml);
    ASSERT_EQ(docs.size(), objects->size()) << sample.name;
    for (size_t i = 0; i < docs.size(); ++i) {
      EXPECT_EQ(ToJson(docs[i]), (*objects)[i]) << sample.name << " document " << i;
    }
  }
}

TEST(ComputeAksK8sYaml, QuotesStringsThatLookLikeOtherTypes) {
  json o = {{"a", "true"},
            {"b", "80"},
            {"c", ""},
            {"d", "null"},
            {"e", "1.5"},
            {"f", "yes"},
            {"g", "plain"},
            {"h", true},
            {"i", 80},
            {"multi", "line one\nline two\n"},
            {"raw", "no final newline\nhere"},
            {"two", "ends twice\n\n"}};
  const std::string yaml = ToYaml({o});
  EXPECT_EQ(yaml.substr(0, 4), "---\n");
  for (const char* quoted : {"a: \"true\"", "b: \"80\"", "c: \"\"", "d: \"null\"", "e: \"1.5\"",
                             "f: \"yes\"", "g: plain", "h: true", "i: 80", "multi: |"}) {
    EXPECT_NE(yaml.find(quoted), std::string::npos) << quoted << " in\n" << yaml;
  }
  EXPECT_EQ(ToJson(YAML::Load(yaml)), o);
}

// The core's one quoting rule, through ToYaml: every string YAML would read
// as another type is quoted, and strings with YAML syntax come back as given.
TEST(ComputeAksK8sYaml, SpecialStringsComeBackUnchanged) {
  json labels = json::object();
  size_t i = 0;
  for (const auto* list :
       {&skiff::testing::YamlOtherTypeStrings(), &skiff::testing::YamlSyntaxStrings()}) {
    for (const std::string& s : *list) labels["v" + std::to_string(i++)] = s;
  }
  const json object = {{"metadata", {{"annotations", labels}}}};
  const std::string yaml = ToYaml({object});
  std::vector<YAML::Node> docs;
  ASSERT_NO_THROW(docs = YAML::LoadAll(yaml)) << yaml;
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(ToJson(docs[0]), object) << yaml;
  for (const std::string& s : skiff::testing::YamlOtherTypeStrings()) {
    bool found = false;
    for (const auto& kv : docs[0]["metadata"]["annotations"]) {
      if (kv.second.Scalar() != s) continue;
      found = true;
      EXPECT_EQ(kv.second.Tag(), "!") << "'" << s << "' is plain in\n" << yaml;
    }
    EXPECT_TRUE(found) << s;
  }
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
