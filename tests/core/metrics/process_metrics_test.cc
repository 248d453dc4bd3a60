// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/process_metrics.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <sstream>

#include <gtest/gtest.h>

namespace skiff::metrics {
namespace {

// The value of the unlabelled series `name` in `text`, or -1.
double ValueOf(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

TEST(ProcessMetrics, ReadFromProcAtEveryRender) {
  MetricsRegistry registry;
  RegisterProcessMetrics(&registry);
  std::string text = registry.RenderPrometheusText();
  for (const char* type : {"# TYPE process_cpu_seconds_total counter",
                           "# TYPE process_resident_memory_bytes gauge",
                           "# TYPE process_open_fds gauge", "# TYPE process_max_fds gauge",
                           "# TYPE process_start_time_seconds gauge"}) {
    EXPECT_NE(text.find(type), std::string::npos) << type << "\n" << text;
  }
  EXPECT_GT(ValueOf(text, "process_resident_memory_bytes"), 1 << 20);
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(ValueOf(text, "process_max_fds"), static_cast<double>(limit.rlim_cur));
  // This process started before now and after the boot; roughly now, since
  // the test binary just started (a minute is far more than it needs).
  const double now = static_cast<double>(std::time(nullptr));
  const double start = ValueOf(text, "process_start_time_seconds");
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600);

  // Opened descriptors show at the next scrape: the value is read then.
  const double fds_before = ValueOf(text, "process_open_fds");
  int extra[3];
  for (int& fd : extra) fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  text = registry.RenderPrometheusText();
  EXPECT_EQ(ValueOf(text, "process_open_fds"), fds_before + 3);
  for (int fd : extra) ::close(fd);

  // CPU time is a counter that follows the kernel's: burn some and it grows.
  const double cpu_before = ValueOf(text, "process_cpu_seconds_total");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  volatile double sink = 0;
  double cpu_after = cpu_before;
  while (cpu_after <= cpu_before && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1000000; ++i) sink = sink + i * 0.5;
    cpu_after = ValueOf(registry.RenderPrometheusText(), "process_cpu_seconds_total");
  }
  EXPECT_GT(cpu_after, cpu_before);
}

TEST(ProcessMetrics, BuildInfoNamesTheVersion) {
  MetricsRegistry registry;
  RegisterBuildInfo(&registry, "1.2.3");
  const std::string text = registry.RenderPrometheusText();
  EXPECT_NE(text.find("# TYPE skiff_build_info gauge\nskiff_build_info{version=\"1.2.3\"} 1\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace skiff::metrics
