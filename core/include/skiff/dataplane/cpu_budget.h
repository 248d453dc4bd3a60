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
  std::optional<double> quota;       // the tightest cpu.max on the cgroup path, in CPUs
  int usable = 0;                    // min(affinity, ceil(quota)); 0: unknown
  std::string Describe() const;      // "1 CPU (affinity 2, cgroup cpu.max 0.10)"
};

// Reads sched_getaffinity and the cpu.max files from this process's cgroup
// (v2, /proc/self/cgroup) up to the root of `cgroup_root`.
CpuBudget ReadCpuBudget(const std::string& cgroup_root = "/sys/fs/cgroup");

// One cpu.max file's value in CPUs: "10000 100000" -> 0.1; "max 100000" ->
// nullopt (no limit); nullopt for anything unreadable.
std::optional<double> ParseCpuMax(std::string_view text);

}  // namespace skiff::dataplane
