// SPDX-License-Identifier: Apache-2.0
// The standard process_* metrics of the Prometheus client libraries, read
// from /proc at every scrape, and skiff_build_info:
//   process_cpu_seconds_total          counter  user + system CPU time
//   process_resident_memory_bytes      gauge
//   process_virtual_memory_bytes       gauge
//   process_open_fds                   gauge
//   process_max_fds                    gauge    RLIMIT_NOFILE (soft)
//   process_start_time_seconds         gauge    Unix time
//   skiff_build_info{version}          gauge    always 1
#pragma once

#include <string>

#include "skiff/metrics/metrics_registry.h"

namespace skiff::metrics {

// A sample of this process, as process_* reports it. A field that cannot be
// read (no /proc) is left negative, and its series is not updated.
struct ProcessSample {
  double cpu_seconds = -1;
  double resident_bytes = -1;
  double virtual_bytes = -1;
  double open_fds = -1;
  double max_fds = -1;
  double start_time_seconds = -1;
};

// Reads /proc/self/stat, /proc/self/fd, /proc/stat (btime) and getrlimit.
ProcessSample SampleProcess();

// Registers the process_* series, refreshed by a collector at every render
// (the collector keeps no state of its own).
void RegisterProcessMetrics(MetricsRegistry* registry);

// skiff_build_info{version="<version>"} 1: lets a dashboard show which build
// each pod runs (join on it, or count by version).
void RegisterBuildInfo(MetricsRegistry* registry, const std::string& version);

}  // namespace skiff::metrics
