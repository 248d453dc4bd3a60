// SPDX-License-Identifier: Apache-2.0
// The CPUs skiff-server may use (inlineScoring "auto"): the affinity mask,
// and the tightest cgroup v2 cpu.max on the process's cgroup path, read
// here from a cgroup tree the test lays out.
#include "skiff/dataplane/cpu_budget.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;

TEST(CpuBudgetTest, ParsesCpuMaxAsTheKernelWritesIt) {
  EXPECT_DOUBLE_EQ(*ParseCpuMax("10000 100000\n"), 0.1);
  EXPECT_DOUBLE_EQ(*ParseCpuMax("250000 100000"), 2.5);
  EXPECT_FALSE(ParseCpuMax("max 100000\n").has_value());
  EXPECT_FALSE(ParseCpuMax("").has_value());
  EXPECT_FALSE(ParseCpuMax("garbage").has_value());
  EXPECT_FALSE(ParseCpuMax("0 100000").has_value());
  EXPECT_FALSE(ParseCpuMax("-5 100000").has_value());
}

// A cgroup tree and a /proc/self/cgroup the test lays out: a pod's
// container at /kubepods/pod1/ctr (v2), or a Docker container on v1.
class CpuBudgetTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("skiff-cpu-budget-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "sys/kubepods/pod1/ctr");
    fs::create_directories(root_ / "sys/cpu/docker/abc");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(root_ / relative) << text << "\n";
  }
  CpuBudget Read(const std::string& proc_cgroup) {
    Write("proc-cgroup", proc_cgroup);
    return ReadCpuBudget((root_ / "sys").string(), (root_ / "proc-cgroup").string());
  }
  int Affinity() {
    cpu_set_t set;
    CPU_ZERO(&set);
    EXPECT_EQ(::sched_getaffinity(0, sizeof(set), &set), 0);
    return CPU_COUNT(&set);
  }

  fs::path root_;
};

TEST_F(CpuBudgetTreeTest, AQuotaBelowOneCpuMeansOneUsableCpu) {
  Write("sys/kubepods/pod1/ctr/cpu.max", "10000 100000");  // a local target's default 0.1 core
  const CpuBudget b = Read("0::/kubepods/pod1/ctr");
  ASSERT_TRUE(b.quota.has_value());
  EXPECT_DOUBLE_EQ(*b.quota, 0.1);
  EXPECT_EQ(b.usable(), 1);
  EXPECT_NE(b.Describe().find("1 CPU ("), std::string::npos) << b.Describe();
  EXPECT_NE(b.Describe().find("cgroup quota 0.10"), std::string::npos) << b.Describe();
}

TEST_F(CpuBudgetTreeTest, TheTightestLevelOnThePathCounts) {
  Write("sys/kubepods/pod1/ctr/cpu.max", "max 100000");
  Write("sys/kubepods/pod1/cpu.max", "150000 100000");  // the pod's limits.cpu: 1.5
  Write("sys/kubepods/cpu.max", "400000 100000");
  Write("sys/cpu.max", "max 100000");
  const CpuBudget b = Read("0::/kubepods/pod1/ctr");
  ASSERT_TRUE(b.quota.has_value());
  EXPECT_DOUBLE_EQ(*b.quota, 1.5);
  EXPECT_EQ(b.usable(), std::min(Affinity(), 2));
}

TEST_F(CpuBudgetTreeTest, CgroupV1CpuQuotaCountsToo) {
  Write("sys/cpu/docker/abc/cpu.cfs_quota_us", "50000");
  Write("sys/cpu/docker/abc/cpu.cfs_period_us", "100000");
  const CpuBudget b = Read("12:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/");
  ASSERT_TRUE(b.quota.has_value());
  EXPECT_DOUBLE_EQ(*b.quota, 0.5);
  EXPECT_EQ(b.usable(), 1);
  Write("sys/cpu/docker/abc/cpu.cfs_quota_us", "-1");  // no limit
  EXPECT_FALSE(Read("3:cpu,cpuacct:/docker/abc\n").quota.has_value());
}

TEST_F(CpuBudgetTreeTest, WithoutAQuotaTheAffinityMaskCounts) {
  const CpuBudget b = Read("0::/kubepods/pod1/ctr");  // no cpu.max anywhere
  EXPECT_FALSE(b.quota.has_value());
  EXPECT_EQ(b.affinity, Affinity());
  EXPECT_EQ(b.usable(), Affinity());
}

}  // namespace
}  // namespace skiff::dataplane
