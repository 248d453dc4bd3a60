// SPDX-License-Identifier: Apache-2.0
// The official JMESPath compliance tests (tests/sdk/jmespath/*.json,
// vendored from jmespath/jmespath.test; see NOTICE.md there) against the
// evaluator behind `skiff ... --query` (sdk/cli/jmespath.cc). Every case of
// every vendored file runs; the expected result or error class must match.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "jmespath.h"

namespace {

using Json = nlohmann::ordered_json;
using skiff::cli::JmesPath;
using skiff::cli::JmesPathErrorKind;
using skiff::cli::JmesPathErrorKindName;

const char* const kFiles[] = {"basic",     "boolean",     "current", "escape",  "filters",
                              "functions", "identifiers", "indices", "literal", "multiselect",
                              "pipe",      "slice",       "syntax",  "unicode", "wildcard"};

// Cases skipped on purpose: {file, expression} -> reason. Empty means every
// case of every vendored file runs.
const std::set<std::pair<std::string, std::string>> kSkipped = {};

Json Load(const std::string& name) {
  const std::string path =
      std::string(std::getenv("SKIFF_SOURCE_DIR")) + "/tests/sdk/jmespath/" + name + ".json";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

TEST(JmesPathCompliance, EveryCaseOfEveryVendoredFile) {
  size_t ran = 0, skipped = 0, failed = 0;
  for (const char* file : kFiles) {
    const Json suites = Load(file);
    ASSERT_TRUE(suites.is_array()) << file;
    for (const auto& suite : suites) {
      for (const auto& c : suite.at("cases")) {
        const std::string expr = c.at("expression").get<std::string>();
        if (kSkipped.count({file, expr}) != 0) {
          ++skipped;
          continue;
        }
        ++ran;
        JmesPathErrorKind kind = JmesPathErrorKind::kNone;
        auto compiled = JmesPath::Compile(expr, &kind);
        skiff::StatusOr<Json> result = compiled.ok() ? compiled->Search(suite.at("given"), &kind)
                                                     : skiff::StatusOr<Json>(compiled.status());
        if (c.contains("error")) {
          const std::string want = c.at("error").get<std::string>();
          if (result.ok() || want != JmesPathErrorKindName(kind)) {
            ++failed;
            ADD_FAILURE() << file << ": " << expr << "\n  want error " << want << ", got "
                          << (result.ok() ? "result " + result->dump() : result.status().message());
          }
        } else if (!result.ok() || !skiff::cli::JmesPathEqual(*result, c.at("result"))) {
          ++failed;
          ADD_FAILURE() << file << ": " << expr << "\n  want " << c.at("result").dump() << ", got "
                        << (result.ok() ? result->dump() : result.status().message());
        }
      }
    }
  }
  std::cout << "JMESPath compliance: " << ran << " cases run, " << failed << " failed, " << skipped
            << " skipped\n";
  EXPECT_GT(ran, 700u);
}

TEST(JmesPath, ErrorsNameTheColumn) {
  auto bad = JmesPath::Compile("foo[?name == 'x'");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos)
      << bad.status().message();
  auto bad2 = JmesPath::Compile("foo.=bar");
  ASSERT_FALSE(bad2.ok());
  EXPECT_NE(bad2.status().message().find("column 5"), std::string::npos) << bad2.status().message();
}

}  // namespace
