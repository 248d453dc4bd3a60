// SPDX-License-Identifier: Apache-2.0
// Who holds a service's operation lock: enough to tell, later and from
// another process, whether that holder still runs. A CLI killed in the
// middle of an operation must not leave the service locked forever.
#pragma once

#include <string>

namespace skiff::store {

// This process as "host=<name> boot=<boot id> pid=<pid> start=<ticks>"
// (start: its start time in clock ticks since boot, from /proc/self/stat, so
// a recycled pid is not mistaken for it).
std::string CurrentProcessIdentity();

// False only when `identity` names a process on this host and this boot that
// is provably gone (no such pid, or the pid now belongs to a process started
// at another time). Another host, another format or an empty string: true
// (we cannot tell, so the lock is respected).
bool ProcessMayBeRunning(const std::string& identity);

// The pid in `identity`, or 0.
long ProcessIdentityPid(const std::string& identity);

}  // namespace skiff::store
