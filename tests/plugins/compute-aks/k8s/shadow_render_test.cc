// SPDX-License-Identifier: Apache-2.0
// Issue 22 items 2 and 6: on Kubernetes the router copies the shadow share,
// so its server.json (in the Secret) carries each version's
// shadowPercentile and the endpoint's shadowQueueSize, the routing table
// (ConfigMap routing.json, what --dry-run prints) shows them, and the version
// pods, which serve whatever reaches them, carry none.
#include <gtest/gtest.h>

#include "k8s/render.h"
#include "sample_specs.h"
#include "skiff/config/server_config.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;
using testing::MakeSpec;

const json& Data(const std::vector<json>& objects, const std::string& kind) {
  for (const json& o : objects) {
    if (o["kind"] == kind && o.contains("stringData")) return o["stringData"];
    if (o["kind"] == kind && o.contains("data")) return o["data"];
  }
  ADD_FAILURE() << "no " << kind;
  static const json kEmpty = json::object();
  return kEmpty;
}

TEST(ComputeAksK8sShadow, TheRouterConfigCarriesTheShadowShare) {
  ServiceSpec spec = MakeSpec("ep1", R"({"shadowQueueSize": 8})",
                              {{"v1", 0, true, false, "torch"}, {"v2", 0, false, false, "torch"}});
  json server = json::parse(spec.server_config_json);
  server["versions"][1]["shadowPercentile"] = 25;
  spec.server_config_json = server.dump();
  RenderInput in;
  in.spec = spec;
  auto objects = RenderService(in);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();

  const json& secret = Data(*objects, "Secret");
  const std::string router_text = secret["server-router.json"].get<std::string>();
  auto router = config::ParseServerConfig(router_text);
  ASSERT_TRUE(router.ok()) << "the router accepts its config: " << router.status().ToString();
  ASSERT_EQ(router->versions.size(), 2u);
  EXPECT_EQ(router->versions[0].shadow_percentile, 0);
  EXPECT_EQ(router->versions[1].shadow_percentile, 25);
  EXPECT_FALSE(router->versions[1].upstream.empty()) << "copies go to v2's pods";
  EXPECT_EQ(router->deployment.shadow_queue_size, 8);

  const json pod = json::parse(secret["server-v2.json"].get<std::string>());
  EXPECT_FALSE(pod["versions"][0].contains("shadowPercentile")) << pod.dump();

  const json routing = json::parse(Data(*objects, "ConfigMap")["routing.json"].get<std::string>());
  EXPECT_EQ(routing["versions"][1]["shadowPercentile"], 25);
  EXPECT_FALSE(routing["versions"][0].contains("shadowPercentile"));
  EXPECT_EQ(routing["shadowQueueSize"], 8);
}

TEST(ComputeAksK8sShadow, WithoutAShadowNothingChanges) {
  RenderInput in;
  in.spec = MakeSpec("ep1", "{}", {{"v1", 90, true, false, "torch"}, {"v2", 10, false, false, "torch"}});
  auto objects = RenderService(in);
  ASSERT_TRUE(objects.ok());
  const json routing = json::parse(Data(*objects, "ConfigMap")["routing.json"].get<std::string>());
  EXPECT_FALSE(routing.contains("shadowQueueSize"));
  EXPECT_EQ(Data(*objects, "Secret")["server-router.json"].get<std::string>().find("shadow"),
            std::string::npos);
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
