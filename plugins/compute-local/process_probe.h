// SPDX-License-Identifier: Apache-2.0
// Asking whether a pid still is the process we think it is, and waiting for
// a process that is not our child to exit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

// True if `pid` is alive (not a zombie) and its /proc/<pid>/cmdline contains
// every one of `needles` (guards against pid reuse).
bool IsProcessRunning(pid_t pid, const std::string& needle1, const std::string& needle2 = "");

// Reads a pid file ("1234\n"); kNotFound if missing or not a pid.
StatusOr<pid_t> ReadPidFile(const std::string& path);

// Waits until `pid` exits (or is a zombie), up to `timeout`. Works for
// processes that are not our children (pidfd_open + poll; polls /proc when
// pidfd is unavailable). Returns true if it exited.
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace skiff::compute_local
