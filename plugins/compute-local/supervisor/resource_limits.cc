// SPDX-License-Identifier: Apache-2.0
#include "supervisor/resource_limits.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace skiff::compute_local {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr int64_t kCpuPeriodUs = 100000;

int Replicas(const config::DeploymentConfig& d) {
  if (d.num_replicas) return *d.num_replicas;
  return d.auto_scaler.autoscale_enabled ? d.auto_scaler.max_replicas : d.auto_scaler.min_replicas;
}

// cpu.max's quota for `cores` per kCpuPeriodUs; the kernel's minimum is 1000.
int64_t CpuQuotaUs(double cores) {
  return std::max<int64_t>(1000, static_cast<int64_t>(std::ceil(cores * kCpuPeriodUs - 1e-6)));
}

// Writes `text` to a cgroup control file; the kernel's errno says why not.
std::string WriteControl(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return path + ": " + std::strerror(errno);
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    return "writing '" + text + "' to " + path + ": " + std::strerror(err);
  return "";
}

std::string ReadControl(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool HasWord(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

std::string MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return "mkdir " + path + ": " + std::strerror(errno);
  }
  return "";
}

// Enables the memory and cpu controllers for the children of `dir`.
std::string EnableControllers(const std::string& dir) {
  const std::string current = ReadControl(dir + "/cgroup.subtree_control");
  if (HasWord(current, "memory") && HasWord(current, "cpu")) return "";
  return WriteControl(dir + "/cgroup.subtree_control", "+memory +cpu");
}

// The service's cgroup with its limits written, or why there is none.
std::string PrepareCgroup(const ResourceLimits& limits, const std::string& root,
                          const std::string& name, std::string* dir) {
  const std::string controllers = ReadControl(root + "/cgroup.controllers");
  if (controllers.empty()) return root + " is not a cgroup v2 hierarchy";
  if (!HasWord(controllers, "memory") || !HasWord(controllers, "cpu")) {
    return root + " does not offer the memory and cpu controllers";
  }
  if (std::string e = EnableControllers(root); !e.empty()) return e;
  const std::string parent = root + "/skiff";
  if (std::string e = MakeDir(parent); !e.empty()) return e;
  if (std::string e = EnableControllers(parent); !e.empty()) return e;
  const std::string own = parent + "/" + name;
  if (std::string e = MakeDir(own); !e.empty()) return e;
  if (std::string e = WriteControl(own + "/memory.max", std::to_string(limits.memory_bytes));
      !e.empty()) {
    return e;
  }
  const int64_t quota = CpuQuotaUs(limits.cores);
  if (std::string e = WriteControl(own + "/cpu.max",
                                   std::to_string(quota) + " " + std::to_string(kCpuPeriodUs));
      !e.empty()) {
    return e;
  }
  *dir = own;
  return "";
}

// ceil(cores) of the CPUs this process may use, starting at a place that
// depends on the service, so services with small requests spread out.
std::vector<int> PickCpus(double cores, const std::string& key) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return {};
  std::vector<int> all;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) all.push_back(cpu);
  }
  if (all.empty()) return {};
  const size_t want =
      std::clamp<size_t>(static_cast<size_t>(std::ceil(cores - 1e-6)), 1, all.size());
  const size_t start = std::hash<std::string>{}(key) % all.size();
  std::vector<int> picked;
  for (size_t i = 0; i < want; ++i) picked.push_back(all[(start + i) % all.size()]);
  std::sort(picked.begin(), picked.end());
  return picked;
}

// The soft limit only: an update can then raise it again without
// CAP_SYS_RESOURCE (the hard limit stays as inherited). Returns 0 or errno.
int SetAddressSpaceLimit(pid_t pid, uint64_t bytes) {
  rlimit as{};
  if (::prlimit(pid, RLIMIT_AS, nullptr, &as) != 0) return errno;
  as.rlim_cur = std::min<rlim_t>(static_cast<rlim_t>(bytes), as.rlim_max);
  return ::prlimit(pid, RLIMIT_AS, &as, nullptr) == 0 ? 0 : errno;
}

std::string CpuList(const std::vector<int>& cpus) {
  std::string out;
  for (int c : cpus) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out;
}

}  // namespace

bool HasCudaDeviceNodes() { return ::access("/dev/nvidiactl", F_OK) == 0; }

ResourceLimits LimitsFor(const config::ServerConfig& config, bool cuda_device_nodes) {
  const config::DeploymentConfig& d = config.deployment;
  const auto& r = d.container_resource_requirements;
  const int replicas = std::max(1, Replicas(d));
  ResourceLimits limits;
  limits.cores = r.cpu_limit.value_or(r.cpu) * replicas;
  limits.memory_bytes = static_cast<uint64_t>(std::ceil(
      r.memory_in_gb_limit.value_or(r.memory_in_gb) * replicas * static_cast<double>(kGiB)));
  bool may_use_cuda = r.gpu > 0;
  for (const auto& v : config.versions) {
    if (v.upstream.empty() && v.inference.accelerator == "torch" && v.inference.device != "cpu" &&
        cuda_device_nodes) {
      may_use_cuda = true;
    }
  }
  if (may_use_cuda) {
    limits.why_no_address_space_limit = "RLIMIT_AS would break CUDA's address-space reservations";
  } else if (!r.memory_in_gb_limit) {
    limits.why_no_address_space_limit =
        "RLIMIT_AS bounds address space, not memory, so only memoryInGBLimit sets it";
  } else {
    limits.address_space_limit = true;
  }
  return limits;
}

LimitPlan PlanLimits(const ResourceLimits& limits, const std::string& service,
                     const std::string& key, const std::string& cgroup_root) {
  LimitPlan plan;
  plan.limits = limits;
  plan.cpus = PickCpus(limits.cores, key);
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%08zx", std::hash<std::string>{}(key)&0xffffffffu);
  std::string dir;
  plan.why_no_cgroup = PrepareCgroup(limits, cgroup_root, service + "-" + hash, &dir);
  if (plan.why_no_cgroup.empty()) {
    plan.cgroup_dir = dir;
    plan.cgroup_procs = dir + "/cgroup.procs";
  }
  return plan;
}

std::string LimitPlan::Describe() const {
  std::string out;
  if (!cgroup_dir.empty()) {
    out = "cgroup v2 " + cgroup_dir + ": memory.max " + std::to_string(limits.memory_bytes) +
          " bytes, cpu.max " + std::to_string(CpuQuotaUs(limits.cores)) + " " +
          std::to_string(kCpuPeriodUs);
  } else if (!limits.address_space_limit) {
    out = "memory not bounded (no cgroup v2: " + why_no_cgroup + "; " +
          limits.why_no_address_space_limit + ")";
  } else {
    out = "RLIMIT_AS " + std::to_string(limits.memory_bytes) +
          " bytes (no cgroup v2: " + why_no_cgroup + ")";
  }
  if (cpus.empty()) return out + "; CPU affinity not set (sched_getaffinity failed)";
  return out + "; CPU affinity " + CpuList(cpus);
}

int ApplyLimitsInChild(const LimitPlan& plan) {
  if (!plan.cgroup_procs.empty()) {
    const int fd = ::open(plan.cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    const bool joined = ::write(fd, "0", 1) == 1;
    const int err = errno;
    ::close(fd);
    if (!joined) return err;
  } else if (plan.limits.address_space_limit) {
    if (int err = SetAddressSpaceLimit(0, plan.limits.memory_bytes); err != 0) return err;
  }
  if (!plan.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : plan.cpus) CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof(set), &set) != 0) return errno;
  }
  return 0;
}

std::string ApplyLimitsToRunning(pid_t pid, const LimitPlan& plan) {
  std::string failed;
  if (plan.cgroup_dir.empty() && plan.limits.address_space_limit) {
    if (int err = SetAddressSpaceLimit(pid, plan.limits.memory_bytes); err != 0) {
      failed += std::string("RLIMIT_AS: ") + std::strerror(err);
    }
  } else if (std::string e = WriteControl(plan.cgroup_procs, std::to_string(pid)); !e.empty()) {
    failed += e;
  }
  if (plan.cpus.empty()) return failed;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : plan.cpus) CPU_SET(cpu, &set);
  // Affinity is per thread: every thread the server has now. Threads it
  // starts later inherit from their creator.
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(tasks.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
      if (tid > 0 && ::sched_setaffinity(tid, sizeof(set), &set) != 0 && errno != ESRCH) {
        failed += (failed.empty() ? "" : "; ") + std::string("affinity of thread ") +
                  std::to_string(tid) + ": " + std::strerror(errno);
      }
    }
    ::closedir(d);
  }
  return failed;
}

void RemoveCgroup(const LimitPlan& plan) {
  if (!plan.cgroup_dir.empty()) ::rmdir(plan.cgroup_dir.c_str());
}

}  // namespace skiff::compute_local
