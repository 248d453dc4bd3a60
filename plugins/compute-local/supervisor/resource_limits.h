// SPDX-License-Identifier: Apache-2.0
// ResourceLimits: how skiff-supervisor holds a local skiff-server to its
// deployment config's containerResourceRequirements (docs/compute-local.md).
//
// The server is one process standing in for all its replicas, so it gets
// what they would get together: per-replica `cpuLimit` (else `cpu`) and
// `memoryInGBLimit` (else `memoryInGB`, as on AKS), times the most replicas
// the config lets it run (numReplicas, else maxReplicas when autoscaling,
// else minReplicas).
//
// Mechanisms, chosen when the supervisor starts a server:
//   - cgroup v2, where the unified hierarchy is mounted and writable
//     (<root>/skiff/<service>-<hash>): memory.max and cpu.max;
//   - otherwise RLIMIT_AS for an explicit memoryInGBLimit (address space, a
//     coarser bound than memory; the soft limit, so an update may raise it
//     again without privileges), else memory is not bounded, and says so.
// In both, CPU affinity to ceil(cores) of the supervisor's allowed CPUs.
// The chosen mechanism is written to supervisor.json and shown by
// GetState (ServiceStatus::resources), so nothing is silently not applied.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "skiff/config/server_config.h"

namespace skiff::compute_local {

// What the whole server may use.
struct ResourceLimits {
  double cores = 0.1;         // CPU cores (cgroup cpu.max); affinity gets ceil(cores)
  uint64_t memory_bytes = 0;  // cgroup memory.max, else RLIMIT_AS
  // Whether RLIMIT_AS stands in for memory.max where there is no cgroup v2.
  // It bounds address space, not memory (a torch server maps ~0.8 GB
  // before it allocates), so only a hard cap the config asks for
  // (`memoryInGBLimit`) becomes one, and never where the server may
  // initialise CUDA (which reserves far more address space than it uses).
  bool address_space_limit = false;
  std::string why_no_address_space_limit;  // set when address_space_limit is false
};

// `cuda_device_nodes`: whether this machine has NVIDIA device nodes.
ResourceLimits LimitsFor(const config::ServerConfig& config, bool cuda_device_nodes);
bool HasCudaDeviceNodes();

// How the limits are applied to the next server the supervisor starts.
struct LimitPlan {
  ResourceLimits limits;
  std::vector<int> cpus;      // the affinity set; empty if it could not be read
  std::string cgroup_dir;     // set: cgroup v2 applies memory and CPU
  std::string cgroup_procs;   // cgroup_dir + "/cgroup.procs", for the child
  std::string why_no_cgroup;  // set when cgroup_dir is empty

  // One line for supervisor.json and `skiff service show`, e.g.
  // "cgroup v2 /sys/fs/cgroup/skiff/s-1a2b: memory.max 536870912 bytes,
  // cpu.max 10000 100000; CPU affinity 3".
  std::string Describe() const;
};

// Decides the mechanism and prepares it: creates or updates the service's
// cgroup under `cgroup_root` and writes its limits. `key` names the service
// uniquely on this machine (its directory). Never fails: what cannot be
// used is said in why_no_cgroup and the plan falls back.
// Threading: the supervisor's one thread.
LimitPlan PlanLimits(const ResourceLimits& limits, const std::string& service,
                     const std::string& key, const std::string& cgroup_root = "/sys/fs/cgroup");

// In the forked child, before exec: joins the cgroup (or sets RLIMIT_AS) and
// sets the CPU affinity. Only system calls: the supervisor is
// single-threaded, but the child should do as little as it can. Returns 0,
// or the errno of the step that failed (the caller exits with it logged).
int ApplyLimitsInChild(const LimitPlan& plan);

// For a configuration reload (SIGHUP): holds the running server `pid` to a
// new plan. PlanLimits has already written the cgroup's files; otherwise
// RLIMIT_AS is set with prlimit. The affinity is set on every thread.
// Returns "" or what could not be applied.
std::string ApplyLimitsToRunning(pid_t pid, const LimitPlan& plan);

// Removes the service's cgroup once no server runs in it (best effort).
void RemoveCgroup(const LimitPlan& plan);

}  // namespace skiff::compute_local
