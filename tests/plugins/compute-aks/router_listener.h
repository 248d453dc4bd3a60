// SPDX-License-Identifier: Apache-2.0
// A router pod's metrics listener for tests of reading it through the pod
// proxy (FakeKubeApi::SetPodProxyUpstream): skiff-server's own
// MetricsEndpoint and ExposureLogReader on a loopback HttpServer, over an
// exposure log on disk, and that log written by the data plane's own
// JsonlWriter (rotating like the router's).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "skiff/dataplane/exposure_log_reader.h"
#include "skiff/dataplane/http_server.h"
#include "skiff/dataplane/jsonl_writer.h"
#include "skiff/dataplane/metrics_endpoint.h"
#include "skiff/metrics/metrics_registry.h"

namespace skiff::testing {

class RouterListener {
 public:
  // `log` "": a router without a routing key (GET /exposure is its 404).
  explicit RouterListener(const std::string& log) {
    reader_.SetLog(log);
    endpoint_ = std::make_unique<dataplane::MetricsEndpoint>(&registry_, nullptr, &reader_);
    auto started = dataplane::HttpServer::Start({}, endpoint_.get());
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (started.ok()) server_ = std::move(started).value();
  }
  std::string url() const {
    return server_ ? "http://127.0.0.1:" + std::to_string(server_->port()) : "";
  }

 private:
  metrics::MetricsRegistry registry_;
  dataplane::ExposureLogReader reader_;
  std::unique_ptr<dataplane::MetricsEndpoint> endpoint_;
  std::unique_ptr<dataplane::HttpServer> server_;
};

// One exposure line as the data plane writes it (docs/rollout.md).
inline std::string ExposureLine(int i, const std::string& version, int status, double latency_ms) {
  return "{\"time\":\"2026-12-06T17:00:" + std::to_string(10 + i % 50) + ".000Z\",\"keyHash\":\"" +
         std::string(64, "0123456789abcdef"[i % 16]) + "\",\"version\":\"" + version +
         "\",\"status\":" + std::to_string(status) +
         ",\"latencyMs\":" + std::to_string(latency_ms) + "}";
}

// The text of `path`'s files as a reader gets them: path.5 ... path.1, path.
inline std::string ReadRotated(const std::string& path) {
  std::string all;
  for (int i = 5; i >= 0; --i) {
    const std::string f = i == 0 ? path : path + "." + std::to_string(i);
    if (!std::filesystem::exists(f)) continue;
    std::ifstream in(f, std::ios::binary);
    all += std::string(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

}  // namespace skiff::testing
