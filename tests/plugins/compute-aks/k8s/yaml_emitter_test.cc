// SPDX-License-Identifier: Apache-2.0
#include "k8s/yaml_emitter.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "k8s/render.h"
#include "sample_specs.h"

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

}  // namespace
}  // namespace skiff::compute_aks::k8s
