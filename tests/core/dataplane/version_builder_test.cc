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
