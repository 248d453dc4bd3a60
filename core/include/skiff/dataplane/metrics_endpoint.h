// SPDX-License-Identifier: Apache-2.0
// MetricsEndpoint: the handler of skiff-server's metrics listener
// (ServerConfig metricsAddress/metricsPort), which answers GET /metrics with
// the registry in Prometheus text, and GET /load with each version's
// requests and 5xx over the last minute (skiff/metrics/load_report.h), which
// the compute target reads for `skiff service list`, and GET /exposure with
// the exposure log a page at a time (skiff/exposure_page.h), which the AKS
// target reads for `skiff endpoint report`. It runs on its own
// HttpServer, with the same header, connection and timeout limits as the
// scoring port, so the public port never shows a stranger the service's
// traffic, versions and failures (docs/protocols.md, "Metrics").
#pragma once

#include <optional>
#include <string>

#include "skiff/dataplane/exposure_log_reader.h"
#include "skiff/dataplane/http_server.h"
#include "skiff/metrics/data_plane_metrics.h"
#include "skiff/metrics/metrics_registry.h"

namespace skiff::dataplane {

class MetricsEndpoint : public HttpHandler {
 public:
  // `registry` (and `load`, `exposure`, when given) must outlive the
  // endpoint (and the HttpServer it serves on). Without `load`, GET /load is
  // a 404; without `exposure`, GET /exposure is.
  explicit MetricsEndpoint(const metrics::MetricsRegistry* registry,
                           const metrics::DataPlaneMetrics* load = nullptr,
                           const ExposureLogReader* exposure = nullptr)
      : registry_(registry), load_(load), exposure_(exposure) {}

  // No route here takes a body.
  uint64_t BodyLimit(const http::request_header<>& header) const override;
  // A request with a body gets its answer (404, 405) from the header alone,
  // the body unread. Threading: any I/O thread.
  std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                    const std::string& client_address) override;
  // GET /metrics: 200 text/plain; version=0.0.4. GET /load: 200
  // application/json (SerializeLoadReport). GET /exposure: a page of the
  // exposure log (skiff/exposure_page.h; at most 1 MiB, read from disk on
  // the I/O thread). Another method: 405 with Allow: GET. Another path:
  // 404. Answers at once; any I/O thread.
  void Handle(HttpRequest request, const std::string& client_address,
              std::function<void(HttpResponse)> respond) override;

 private:
  HttpResponse Answer(const http::request_header<>& header) const;
  HttpResponse AnswerExposure(std::string_view query) const;

  const metrics::MetricsRegistry* registry_;
  const metrics::DataPlaneMetrics* load_;
  const ExposureLogReader* exposure_;
};

}  // namespace skiff::dataplane
