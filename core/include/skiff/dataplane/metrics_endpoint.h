// SPDX-License-Identifier: Apache-2.0
// MetricsEndpoint: the handler of skiff-server's metrics listener
// (ServerConfig metricsAddress/metricsPort), which answers GET /metrics with
// the registry in Prometheus text and nothing else. It runs on its own
// HttpServer, with the same header, connection and timeout limits as the
// scoring port, so the public port never shows a stranger the service's
// traffic, versions and failures (docs/protocols.md, "Metrics").
#pragma once

#include <optional>
#include <string>

#include "skiff/dataplane/http_server.h"
#include "skiff/metrics/metrics_registry.h"

namespace skiff::dataplane {

class MetricsEndpoint : public HttpHandler {
 public:
  // `registry` must outlive the endpoint (and the HttpServer it serves on).
  explicit MetricsEndpoint(const metrics::MetricsRegistry* registry) : registry_(registry) {}

  // No route here takes a body.
  uint64_t BodyLimit(const http::request_header<>& header) const override;
  // A request with a body gets its answer (404, 405) from the header alone,
  // the body unread. Threading: any I/O thread.
  std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                    const std::string& client_address) override;
  // GET /metrics: 200 text/plain; version=0.0.4. Another method: 405 with
  // Allow: GET. Another path: 404. Answers at once; any I/O thread.
  void Handle(HttpRequest request, const std::string& client_address,
              std::function<void(HttpResponse)> respond) override;

 private:
  HttpResponse Answer(const http::request_header<>& header) const;

  const metrics::MetricsRegistry* registry_;
};

}  // namespace skiff::dataplane
