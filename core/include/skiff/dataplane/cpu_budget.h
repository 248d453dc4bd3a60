// SPDX-License-Identifier: Apache-2.0
// How many CPUs this process may use at once, as inlineScoring's "auto"
// needs it (server_config.h): a local target's server runs with a CPU
// affinity of ceil(cores) and a cgroup v2 cpu.max of `cores`
// (plugins/compute-local/supervisor/resource_limits.h); a Kubernetes pod's
// limits.cpu becomes its cgroup's cpu.max.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff::dataplane {

struct CpuBudget {
  int affinity = 0;                  // CPUs in this thread's affinity mask (0: unknown)
  std::optional<double> quota;       // the tightest CPU quota on the cgroup path, in CPUs
  // min(affinity, ceil(quota)), at least 1 with a quota; 0: unknown.
  int usable() const;
  std::string Describe() const;      // "1 CPU (affinity 2, cgroup quota 0.10)"
};

// Reads sched_getaffinity and the CPU quotas on this process's cgroup path
// (from `proc_cgroup`), every level up to the root of `cgroup_root`: v2's
// cpu.max, and v1's cpu.cfs_quota_us / cpu.cfs_period_us under
// `cgroup_root`/cpu. The parameters exist for tests.
CpuBudget ReadCpuBudget(const std::string& cgroup_root = "/sys/fs/cgroup",
                        const std::string& proc_cgroup = "/proc/self/cgroup");

// One cpu.max file's value in CPUs: "10000 100000" -> 0.1; "max 100000" ->
// nullopt (no limit); nullopt for anything unreadable.
std::optional<double> ParseCpuMax(std::string_view text);

}  // namespace skiff::dataplane
