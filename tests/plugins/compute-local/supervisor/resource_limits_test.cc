// SPDX-License-Identifier: Apache-2.0
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
  EXPECT_TRUE(l.address_space_limit) << "memoryInGBLimit was given";
}

// RLIMIT_AS bounds address space, not memory: only an explicit
// memoryInGBLimit becomes one (a torch server maps ~0.8 GB before it
// allocates, so the 0.5 GB default would stop it loading), and never where
// CUDA may run. What is not bounded is said.
TEST(ComputeLocalResourceLimitsTest, RlimitAsOnlyForAnExplicitLimitAndNeverWhereCudaMayRun) {
  config::ServerConfig capped = WithVersion("torch", "auto");
  capped.deployment.container_resource_requirements.memory_in_gb_limit = 1;
  EXPECT_TRUE(LimitsFor(capped, false).address_space_limit);
  EXPECT_FALSE(LimitsFor(capped, true).address_space_limit) << "CUDA may run";
  config::ServerConfig torch_cpu = WithVersion("torch", "cpu");
  torch_cpu.deployment.container_resource_requirements.memory_in_gb_limit = 1;
  EXPECT_TRUE(LimitsFor(torch_cpu, true).address_space_limit);
  config::ServerConfig fpga = WithVersion("fpga", "auto");
  fpga.deployment.container_resource_requirements.memory_in_gb_limit = 1;
  EXPECT_TRUE(LimitsFor(fpga, true).address_space_limit);
  config::ServerConfig gpu = torch_cpu;
  gpu.deployment.container_resource_requirements.gpu = 1;
  EXPECT_FALSE(LimitsFor(gpu, false).address_space_limit);
  EXPECT_FALSE(LimitsFor(WithVersion("torch", "cpu"), false).address_space_limit)
      << "memoryInGB alone";

  // A directory that is not a cgroup hierarchy: the fallback path.
  const std::string root =
      std::filesystem::temp_directory_path() / ("skiff-nocgroup-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root);
  const std::string no_cgroup = "(no cgroup v2: " + root + " is not a cgroup v2 hierarchy; ";
  EXPECT_EQ(PlanLimits(LimitsFor(gpu, false), "svc", "/ws/services/svc", root)
                .Describe()
                .rfind("memory not bounded " + no_cgroup + "RLIMIT_AS would break CUDA", 0),
            0u);
  EXPECT_EQ(
      PlanLimits(LimitsFor(WithVersion("torch", "cpu"), false), "svc", "/ws/services/svc", root)
          .Describe()
          .rfind("memory not bounded " + no_cgroup + "RLIMIT_AS bounds address space", 0),
      0u);
  LimitPlan capped_plan = PlanLimits(LimitsFor(torch_cpu, false), "svc", "/ws/services/svc", root);
  EXPECT_EQ(capped_plan.Describe().rfind("RLIMIT_AS 10737418240 bytes (no cgroup v2: ", 0), 0u)
      << capped_plan.Describe() << " (1 GB x 10 replicas)";
  EXPECT_NE(capped_plan.Describe().find("; CPU affinity "), std::string::npos);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace skiff::compute_local
