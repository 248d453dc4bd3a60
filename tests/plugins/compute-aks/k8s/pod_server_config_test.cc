// SPDX-License-Identifier: Apache-2.0
// The server.json each version pod reads is one skiff-server accepts.
#include <gtest/gtest.h>

#include "k8s/render.h"
#include "sample_specs.h"
#include "skiff/config/deployment_config.h"
#include "skiff/config/server_config.h"

namespace skiff::compute_aks::k8s {
namespace {

// Every server.json in the Secret is one skiff-server accepts: each version
// pod's (its one model, no auth: only the router reaches it) and the
// router's (the service's auth, every version as an upstream).
TEST(ComputeAksK8sPodConfig, EveryRenderedServerConfigParses) {
  int versions = 0, routers = 0;
  for (const auto& sample : testing::SampleInputs()) {
    auto objects = RenderService(sample.input);
    ASSERT_TRUE(objects.ok()) << sample.name << ": " << objects.status().ToString();
    for (const nlohmann::json& o : *objects) {
      if (o["kind"] != "Secret") continue;
      const std::string ns = o["metadata"]["namespace"];
      for (const auto& item : o["stringData"].items()) {
        if (item.key().rfind("server-", 0) != 0) continue;
        auto config = config::ParseServerConfig(item.value().get<std::string>());
        ASSERT_TRUE(config.ok()) << sample.name << " " << item.key() << ": "
                                 << config.status().ToString();
        EXPECT_EQ(config->address, "0.0.0.0");
        EXPECT_EQ(config->port, 8080);
        // Metrics on their own port, for the cluster's scraper (issue 19.3).
        EXPECT_EQ(config->metrics_address, "0.0.0.0");
        EXPECT_EQ(config->metrics_port, 9090);
        EXPECT_TRUE(config->metrics_port_file.empty());
        EXPECT_FALSE(config->deployment.keys.primary_key.has_value());
        // Every answer to stdout, where the cluster's log collector reads it
        // (issue 23.3).
        EXPECT_EQ(config->access_log, "stdout") << sample.name << " " << item.key();
        if (item.key() == "server-router.json") {
          ++routers;
          auto dc = config::ParseDeploymentConfig(sample.input.spec.deployment_config_json);
          ASSERT_TRUE(dc.ok());
          const AuthMode expected = dc->token_auth_enabled ? AuthMode::kToken
                                    : dc->auth_enabled     ? AuthMode::kKey
                                                           : AuthMode::kNone;
          EXPECT_EQ(config->auth_mode(), expected) << sample.name << ": the router authenticates";
          ASSERT_GE(config->versions.size(), 1u);
          for (const auto& v : config->versions) {
            EXPECT_TRUE(v.artifact_path.empty());
            EXPECT_EQ(v.upstream.rfind("http://", 0), 0u) << v.upstream;
            EXPECT_NE(v.upstream.find("." + ns + ".svc.cluster.local/v2/models/"),
                      std::string::npos)
                << v.upstream;
          }
        } else {
          ++versions;
          EXPECT_EQ(config->auth_mode(), AuthMode::kNone) << sample.name << " " << item.key();
          ASSERT_EQ(config->versions.size(), 1u);
          EXPECT_EQ(config->versions[0].artifact_path.rfind("/var/lib/skiff/models/", 0), 0u);
        }
      }
    }
  }
  EXPECT_EQ(versions, 15);  // twelve samples, three of them endpoints of two versions
  EXPECT_EQ(routers, 12);
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
