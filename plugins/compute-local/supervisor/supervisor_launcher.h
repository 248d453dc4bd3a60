// SPDX-License-Identifier: Apache-2.0
// Starts skiff-supervisor for a service directory so that it outlives the
// caller: posix_spawn, stdin from /dev/null, output to the service log; the
// supervisor forks and setsid()s itself, and its first process (which we
// reap) exits 0 only once the daemon has written supervisor.pid and started
// the server.
#pragma once

#include "options.h"
#include "service_dir.h"
#include "skiff/status.h"

namespace skiff::compute_local {

Status LaunchSupervisor(const LocalComputeOptions& options, const ServiceDir& dir);

}  // namespace skiff::compute_local
