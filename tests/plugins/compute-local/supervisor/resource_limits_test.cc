// What the supervisor holds a server to, and how it says so (issue 21 item
// 5). The limits applied to a real server: ComputeLocalParityTest.*.
#include "supervisor/resource_limits.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace skiff::compute_local {
namespace {

config::ServerConfig WithVersion(const std::string& accelerator, const std::string& device) {
  config::ServerConfig c;
  config::ServerVersionConfig v;
  v.inference.accelerator = accelerator;
  v.inference.device = device;
  c.versions.push_back(v);
  return c;
}

TEST(ComputeLocalResourceLimitsTest, PerReplicaLimitsTimesTheMostReplicasAllowed) {
  config::ServerConfig c = WithVersion("torch", "cpu");
  // Defaults: 0.1 cores and 0.5 GB per replica, autoscaling up to 10.
  ResourceLimits l = LimitsFor(c, false);
  EXPECT_DOUBLE_EQ(l.cores, 1.0);
  EXPECT_EQ(l.memory_bytes, uint64_t{5} << 30);
  c.deployment.container_resource_requirements.cpu_limit = 0.5;
  c.deployment.container_resource_requirements.memory_in_gb_limit = 1.5;
  c.deployment.auto_scaler.autoscale_enabled = false;
  c.deployment.num_replicas = 2;
  l = LimitsFor(c, false);
  EXPECT_DOUBLE_EQ(l.cores, 1.0);
  EXPECT_EQ(l.memory_bytes, uint64_t{3} << 30);
  EXPECT_FALSE(l.may_use_cuda);
}

// RLIMIT_AS would make CUDA fail to initialise: where the server may use
// CUDA and there is no cgroup v2, memory is reported as not bounded.
TEST(ComputeLocalResourceLimitsTest, WhereCudaMayRunTheAddressSpaceIsNotLimitedAndThatIsSaid) {
  EXPECT_FALSE(LimitsFor(WithVersion("torch", "auto"), false).may_use_cuda);
  EXPECT_TRUE(LimitsFor(WithVersion("torch", "auto"), true).may_use_cuda);
  EXPECT_FALSE(LimitsFor(WithVersion("torch", "cpu"), true).may_use_cuda);
  EXPECT_FALSE(LimitsFor(WithVersion("fpga", "auto"), true).may_use_cuda);
  config::ServerConfig gpu = WithVersion("torch", "cpu");
  gpu.deployment.container_resource_requirements.gpu = 1;
  EXPECT_TRUE(LimitsFor(gpu, false).may_use_cuda);

  // A directory that is not a cgroup hierarchy: the fallback path.
  const std::string root =
      std::filesystem::temp_directory_path() / ("skiff-nocgroup-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root);
  LimitPlan cuda = PlanLimits(LimitsFor(gpu, false), "svc", "/ws/services/svc", root);
  EXPECT_TRUE(cuda.cgroup_dir.empty());
  EXPECT_EQ(cuda.Describe().rfind("memory not bounded (no cgroup v2: " + root +
                                      " is not a cgroup v2 hierarchy; RLIMIT_AS would break CUDA",
                                  0),
            0u)
      << cuda.Describe();
  LimitPlan cpu =
      PlanLimits(LimitsFor(WithVersion("torch", "cpu"), true), "svc", "/ws/services/svc", root);
  EXPECT_EQ(cpu.Describe().rfind("RLIMIT_AS 5368709120 bytes (no cgroup v2: ", 0), 0u)
      << cpu.Describe();
  EXPECT_NE(cpu.Describe().find("; CPU affinity "), std::string::npos) << cpu.Describe();
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace skiff::compute_local
