// SPDX-License-Identifier: Apache-2.0
#include "process_identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>

namespace skiff::store {
namespace {

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

// Field `n` (>= 3) of /proc/<pid>/stat, after the parenthesised command
// (which may itself hold spaces or parentheses); empty when unreadable.
// 3 is the state, 22 the start time in clock ticks since boot.
std::string StatField(long pid, int n) {
  const std::string stat = FirstLine("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= n; ++i) {
    if (!(rest >> field)) return "";
  }
  return field;
}

std::map<std::string, std::string> Parse(const std::string& identity) {
  std::map<std::string, std::string> out;
  std::istringstream in(identity);
  std::string item;
  while (in >> item) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

}  // namespace

std::string CurrentProcessIdentity() {
  const long pid = static_cast<long>(::getpid());
  return "host=" + HostName() + " boot=" + FirstLine("/proc/sys/kernel/random/boot_id") +
         " pid=" + std::to_string(pid) + " start=" + StatField(pid, 22);
}

long ProcessIdentityPid(const std::string& identity) {
  auto fields = Parse(identity);
  try {
    return fields.count("pid") ? std::stol(fields["pid"]) : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

bool ProcessMayBeRunning(const std::string& identity) {
  auto fields = Parse(identity);
  const long pid = ProcessIdentityPid(identity);
  if (pid <= 0 || fields["host"].empty() || fields["boot"].empty() || fields["start"].empty()) {
    return true;
  }
  if (fields["host"] != HostName()) return true;
  const std::string boot = FirstLine("/proc/sys/kernel/random/boot_id");
  if (boot.empty()) return true;
  if (fields["boot"] != boot) return false;  // rebooted since: every process of then is gone
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  if (StatField(pid, 3) == "Z") return false;  // killed, not yet reaped
  const std::string start = StatField(pid, 22);
  return start.empty() || start == fields["start"];
}

}  // namespace skiff::store
