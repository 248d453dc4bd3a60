// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

namespace skiff::metrics {
namespace {

// Unix time the machine booted (/proc/stat `btime`), or -1.
double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return -1;
}

// The fields of /proc/self/stat after the command name, which may contain
// spaces and parentheses: it ends at the last ')'. fields[0] is field 3.
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(text.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

double OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  double n = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

}  // namespace

ProcessSample SampleProcess() {
  ProcessSample s;
  const std::vector<std::string> f = StatFields();
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  // proc(5) numbers the fields from 1; f[0] is field 3 (state).
  auto field = [&](size_t n) { return std::stod(f.at(n - 3)); };
  if (f.size() >= 22 && ticks > 0) try {
    s.cpu_seconds = (field(14) + field(15)) / ticks;  // utime + stime
    s.virtual_bytes = field(23);
    s.resident_bytes = field(24) * page;
    const double boot = BootTime();
    if (boot >= 0) s.start_time_seconds = boot + field(22) / ticks;
  } catch (const std::exception&) {
    // A /proc this code cannot read: those series keep their last value.
  }
  s.open_fds = OpenFds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s.max_fds = limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(limit.rlim_cur);
  }
  return s;
}

void RegisterProcessMetrics(MetricsRegistry* registry) {
  auto collect = [](MetricsRegistry& r) {
    const ProcessSample s = SampleProcess();
    auto set = [&](const char* name, const char* help, double value) {
      if (value >= 0) r.GetGauge(name, help, {}).Set(value);
    };
    if (s.cpu_seconds >= 0) {
      // A counter mirrored from the kernel's: add what it grew by. Renders
      // run one at a time (AddCollector), so the read and add do not race.
      Counter& cpu =
          r.GetCounter("process_cpu_seconds_total", "Total user and system CPU time in seconds.", {});
      cpu.Increment(s.cpu_seconds - cpu.Value());
    }
    set("process_resident_memory_bytes", "Resident memory size in bytes.", s.resident_bytes);
    set("process_virtual_memory_bytes", "Virtual memory size in bytes.", s.virtual_bytes);
    set("process_open_fds", "Number of open file descriptors.", s.open_fds);
    set("process_max_fds", "Maximum number of open file descriptors (RLIMIT_NOFILE).", s.max_fds);
    set("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.",
        s.start_time_seconds);
  };
  collect(*registry);  // the families exist (and are ordered) from the start
  registry->AddCollector(collect);
}

void RegisterBuildInfo(MetricsRegistry* registry, const std::string& version) {
  registry
      ->GetGauge("skiff_build_info", "Always 1; the labels name the skiff build serving.",
                 {{"version", version}})
      .Set(1);
}

}  // namespace skiff::metrics
