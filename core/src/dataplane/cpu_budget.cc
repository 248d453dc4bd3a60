// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/cpu_budget.h"

#include <sched.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace skiff::dataplane {

namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// This process's cgroup v2 path ("/a/b"), from the "0::" line; "" when none.
std::string OwnCgroup() {
  std::istringstream lines(ReadSmallFile("/proc/self/cgroup"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return {};
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

CpuBudget ReadCpuBudget(const std::string& cgroup_root) {
  CpuBudget budget;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) budget.affinity = CPU_COUNT(&set);
  // Every level of the path limits the process: the tightest one counts.
  std::string path = OwnCgroup();
  while (!path.empty()) {
    if (auto cpus = ParseCpuMax(ReadSmallFile(cgroup_root + path + "/cpu.max"))) {
      if (!budget.quota || *cpus < *budget.quota) budget.quota = cpus;
    }
    if (path == "/") break;
    const size_t slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
  constexpr int kUnknown = std::numeric_limits<int>::max();
  int usable = budget.affinity > 0 ? budget.affinity : kUnknown;
  if (budget.quota) usable = std::min(usable, std::max(1, static_cast<int>(std::ceil(*budget.quota))));
  budget.usable = usable == kUnknown ? 0 : usable;
  return budget;
}

std::string CpuBudget::Describe() const {
  std::string out = (usable > 0 ? std::to_string(usable) : std::string("unknown")) +
                    (usable == 1 ? " CPU" : " CPUs") + " (affinity " +
                    (affinity > 0 ? std::to_string(affinity) : std::string("unknown"));
  if (quota) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", *quota);
    out += std::string(", cgroup cpu.max ") + buf;
  }
  return out + ")";
}

}  // namespace skiff::dataplane
