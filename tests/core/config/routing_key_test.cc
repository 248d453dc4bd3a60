// SPDX-License-Identifier: Apache-2.0
// The deploymentconfig.json extension `routingKey` (sticky A/B, issue 22
// item 3; docs/rollout.md): a header or a cookie, names checked, and an
// update that names one kind replaces the other.
#include <gtest/gtest.h>

#include "skiff/config/deployment_config.h"

namespace skiff::config {
namespace {

TEST(ConfigRoutingKeyTest, AHeaderOrACookieRoundTrips) {
  auto header = ParseDeploymentConfig(R"({"routingKey": {"header": "x-user-id"}})");
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->routing_key.header, "x-user-id");
  EXPECT_EQ(ToJson(*header)["routingKey"], nlohmann::json({{"header", "x-user-id"}}));
  auto again = ParseDeploymentConfig(ToJson(*header).dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->routing_key.header, "x-user-id");
  auto none = ParseDeploymentConfig("{}");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->routing_key.set());
  EXPECT_FALSE(ToJson(*none).contains("routingKey"));
}

TEST(ConfigRoutingKeyTest, BothOrABadNameAreRefusedNamingTheField) {
  auto both = ParseDeploymentConfig(R"({"routingKey": {"header": "x-user-id", "cookie": "uid"}})");
  EXPECT_NE(both.status().message().find("`$.routingKey` names both a header and a cookie"),
            std::string::npos)
      << both.status().message();
  auto bad = ParseDeploymentConfig(R"({"routingKey": {"cookie": "u id"}})");
  EXPECT_NE(bad.status().message().find("`$.routingKey.cookie` must be a cookie name"),
            std::string::npos)
      << bad.status().message();
  auto unknown = ParseDeploymentConfig(R"({"routingKey": {"headr": "x"}})");
  EXPECT_NE(unknown.status().message().find("did you mean `header`"), std::string::npos)
      << unknown.status().message();
}

TEST(ConfigRoutingKeyTest, AnUpdateNamingACookieReplacesTheHeader) {
  auto current = ParseDeploymentConfig(R"({"routingKey": {"header": "x-user-id"}})");
  ASSERT_TRUE(current.ok());
  auto updated =
      ApplyDeploymentUpdate(*current, R"({"routingKey": {"cookie": "uid", "header": null}})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->routing_key.cookie, "uid");
  EXPECT_EQ(updated->routing_key.header, "");
  auto off = ApplyDeploymentUpdate(*updated, R"({"routingKey": null})");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->routing_key.set());
}

}  // namespace
}  // namespace skiff::config
