// SPDX-License-Identifier: Apache-2.0
// VersionBuilder alone: which pool a version's config becomes.
#include "skiff/dataplane/version_builder.h"

#include <gtest/gtest.h>

#include "skiff/metrics/metrics_registry.h"

namespace skiff::dataplane {
namespace {

class DataPlaneVersionBuilder : public ::testing::Test {
 protected:
  DataPlaneVersionBuilder() : plugins_(PluginHost::Options{}) {
    deployment_.num_replicas = 2;
    deployment_.max_concurrent_requests_per_container = 3;
    deployment_.max_queue_wait_ms = 1234;
    deployment_.scoring_timeout_ms = 5678;
    version_.spec.name = "blue";
    version_.inference.inputs = {TensorSpec{"x", DataType::kFp32, {-1}}};
    version_.inference.outputs = {TensorSpec{"y", DataType::kFp32, {-1}}};
  }
  PluginHost plugins_;
  VersionBuilder::AcceleratorCache accelerators_;
  config::DeploymentConfig deployment_;
  ServerVersionConfig version_;
  metrics::MetricsRegistry registry_;
  metrics::DataPlaneMetrics metrics_{&registry_};
};

TEST_F(DataPlaneVersionBuilder, PoolOptionsComeFromTheDeployment) {
  VersionBuilder builder(&plugins_, &accelerators_, deployment_);
  EXPECT_EQ(builder.replicas(), 2);
  const ScoringPoolOptions pool = builder.PoolOptions(6);
  EXPECT_EQ(pool.workers, 6);
  EXPECT_EQ(pool.max_queue_wait, std::chrono::milliseconds(1234));
  EXPECT_EQ(pool.scoring_timeout, std::chrono::milliseconds(5678));
  deployment_.num_replicas.reset();
  deployment_.auto_scaler.min_replicas = 4;
  EXPECT_EQ(VersionBuilder(&plugins_, &accelerators_, deployment_).replicas(), 4);
}

// Issue 21.4: an endpoint version with its own --dc gets its own workers
// and timeouts; the others keep the server's.
TEST_F(DataPlaneVersionBuilder, AVersionWithItsOwnDeploymentConfigGetsItsOwnPool) {
  VersionBuilder builder(&plugins_, &accelerators_, deployment_);
  const ScoringPoolOptions shared = builder.PoolFor(version_);
  EXPECT_EQ(shared.workers, builder.replicas() * deployment_.max_concurrent_requests_per_container);
  EXPECT_EQ(shared.scoring_timeout, std::chrono::milliseconds(5678));

  config::DeploymentConfig own;
  own.num_replicas = 3;
  own.auto_scaler.autoscale_enabled = false;
  own.max_concurrent_requests_per_container = 4;
  own.scoring_timeout_ms = 900;
  own.max_queue_wait_ms = 77;
  version_.deployment = own;
  EXPECT_EQ(builder.replicas(version_), 3);
  const ScoringPoolOptions pool = builder.PoolFor(version_);
  EXPECT_EQ(pool.workers, 12);
  EXPECT_EQ(pool.scoring_timeout, std::chrono::milliseconds(900));
  EXPECT_EQ(pool.max_queue_wait, std::chrono::milliseconds(77));
  // A change of the version's config is a new content key: it reloads.
  ServerVersionConfig other = version_;
  other.deployment->max_concurrent_requests_per_container = 5;
  EXPECT_NE(config::ServerConfig::ContentKey(version_), config::ServerConfig::ContentKey(other));
  // A tag or description is no reason to reload.
  other = version_;
  other.deployment->tags["stage"] = "canary";
  other.deployment->description = "the canary";
  EXPECT_EQ(config::ServerConfig::ContentKey(version_), config::ServerConfig::ContentKey(other));
}

TEST_F(DataPlaneVersionBuilder, UpstreamVersionNeedsNoPluginAndKeepsTheSignature) {
  // Nothing listens there: an upstream model does not connect until it scores.
  version_.upstream = "http://127.0.0.1:9/v2/models/svc/infer";
  VersionBuilder builder(&plugins_, &accelerators_, deployment_);
  auto pool = builder.Build(version_, &metrics_.For("svc", "blue"));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  EXPECT_EQ((*pool)->signature().inputs.size(), 1u);
  EXPECT_EQ((*pool)->signature().outputs[0].name, "y");
  EXPECT_TRUE(accelerators_.empty());
}

TEST_F(DataPlaneVersionBuilder, UnknownAcceleratorIsRefusedByName) {
  version_.inference.accelerator = "nosuchaccel";
  VersionBuilder builder(&plugins_, &accelerators_, deployment_);
  for (bool batching : {false, true}) {
    version_.inference.batching.enabled = batching;
    auto pool = builder.Build(version_, &metrics_.For("svc", "blue"));
    ASSERT_FALSE(pool.ok());
    EXPECT_NE(pool.status().message().find("nosuchaccel"), std::string::npos)
        << pool.status().ToString();
  }
  EXPECT_TRUE(accelerators_.empty());
}

}  // namespace
}  // namespace skiff::dataplane
