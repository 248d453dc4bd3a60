// The server.json each version pod reads is one skiff-server accepts.
#include <gtest/gtest.h>

#include "k8s/render.h"
#include "sample_specs.h"
#include "skiff/dataplane/server_config.h"

namespace skiff::compute_aks::k8s {
namespace {

TEST(ComputeAksK8sPodConfig, EveryRenderedServerConfigParses) {
  int parsed = 0;
  for (const auto& sample : testing::SampleInputs()) {
    auto objects = RenderService(sample.input);
    ASSERT_TRUE(objects.ok()) << sample.name << ": " << objects.status().ToString();
    for (const nlohmann::json& o : *objects) {
      if (o["kind"] != "Secret") continue;
      for (const auto& item : o["stringData"].items()) {
        if (item.key().rfind("server-", 0) != 0) continue;
        auto config = dataplane::ParseServerConfig(item.value().get<std::string>());
        ASSERT_TRUE(config.ok()) << sample.name << " " << item.key() << ": "
                                 << config.status().ToString();
        EXPECT_EQ(config->address, "0.0.0.0");
        EXPECT_EQ(config->port, 8080);
        ASSERT_EQ(config->versions.size(), 1u);
        EXPECT_EQ(config->versions[0].artifact_path.rfind("/var/lib/skiff/models/", 0), 0u);
        EXPECT_FALSE(config->deployment.keys.primary_key.has_value());
        ++parsed;
      }
    }
  }
  EXPECT_EQ(parsed, 11);  // ten samples, one of them an endpoint of two versions
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
