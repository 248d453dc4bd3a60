// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/cpu_budget.h"

#include <sched.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <utility>

#include "skiff/util/file.h"

namespace skiff::dataplane {

namespace {

// A proc or cgroup file's text; "" when it is missing or unreadable (no
// cgroup, no such controller: no limit to read).
std::string ReadOrEmpty(const std::string& path) {
  StatusOr<std::string> text = ReadFile(path, 64 * 1024);
  return text.ok() ? std::move(text).value() : std::string();
}

// This process's cgroup paths, from its /proc/PID/cgroup: v2's ("0::" line)
// and v1's cpu controller's ("N:cpu,cpuacct:" or "N:cpu:"); "" when none.
struct CgroupPaths {
  std::string v2;
  std::string v1_cpu;
};
CgroupPaths OwnCgroups(const std::string& proc_cgroup) {
  CgroupPaths paths;
  std::istringstream lines(ReadOrEmpty(proc_cgroup));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("0::", 0) == 0) {
      paths.v2 = line.substr(3);
      continue;
    }
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::istringstream controllers(line.substr(first + 1, second - first - 1));
    for (std::string c; std::getline(controllers, c, ',');) {
      if (c == "cpu") paths.v1_cpu = line.substr(second + 1);
    }
  }
  return paths;
}

// Calls `each` with every level of `path` ("/a/b", "/a", "/").
template <class Fn>
void ForEachLevel(std::string path, Fn each) {
  while (!path.empty()) {
    each(path);
    if (path == "/") break;
    const size_t slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
}

std::optional<double> ReadV1Quota(const std::string& dir) {
  long long quota = 0;
  long long period = 0;
  std::istringstream(ReadOrEmpty(dir + "/cpu.cfs_quota_us")) >> quota;
  std::istringstream(ReadOrEmpty(dir + "/cpu.cfs_period_us")) >> period;
  if (quota <= 0 || period <= 0) return std::nullopt;  // -1: no limit
  return static_cast<double>(quota) / static_cast<double>(period);
}

}  // namespace

std::optional<double> ParseCpuMax(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota = text.substr(0, space);
  const std::string_view period = text.substr(space + 1);
  if (quota == "max") return std::nullopt;
  long long q = 0;
  long long p = 0;
  if (std::from_chars(quota.data(), quota.data() + quota.size(), q).ec != std::errc() ||
      std::from_chars(period.data(), period.data() + period.size(), p).ec != std::errc() ||
      q <= 0 || p <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(q) / static_cast<double>(p);
}

CpuBudget ReadCpuBudget(const std::string& cgroup_root, const std::string& proc_cgroup) {
  CpuBudget budget;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) budget.affinity = CPU_COUNT(&set);
  // Every level of the path limits the process: the tightest one counts.
  auto tighter = [&budget](std::optional<double> cpus) {
    if (cpus && (!budget.quota || *cpus < *budget.quota)) budget.quota = cpus;
  };
  const CgroupPaths paths = OwnCgroups(proc_cgroup);
  if (!paths.v2.empty()) {
    ForEachLevel(paths.v2, [&](const std::string& level) {
      tighter(ParseCpuMax(ReadOrEmpty(cgroup_root + level + "/cpu.max")));
    });
  }
  if (!paths.v1_cpu.empty()) {
    // cgroup v1 (an older Docker host): the cpu controller's own tree.
    ForEachLevel(paths.v1_cpu, [&](const std::string& level) {
      tighter(ReadV1Quota(cgroup_root + "/cpu" + (level == "/" ? "" : level)));
    });
  }
  return budget;
}

int CpuBudget::usable() const {
  constexpr int kUnknown = std::numeric_limits<int>::max();
  int cpus = affinity > 0 ? affinity : kUnknown;
  if (quota) cpus = std::min(cpus, std::max(1, static_cast<int>(std::ceil(*quota))));
  return cpus == kUnknown ? 0 : cpus;
}

std::string CpuBudget::Describe() const {
  const int cpus = usable();
  std::string out = (cpus > 0 ? std::to_string(cpus) : std::string("unknown")) +
                    (cpus == 1 ? " CPU" : " CPUs") + " (affinity " +
                    (affinity > 0 ? std::to_string(affinity) : std::string("unknown"));
  if (quota) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", *quota);
    out += std::string(", cgroup quota ") + buf;
  }
  return out + ")";
}

}  // namespace skiff::dataplane
