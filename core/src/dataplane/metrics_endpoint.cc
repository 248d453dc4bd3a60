// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/metrics_endpoint.h"

#include "skiff/dataplane/request_stages.h"
#include "skiff/metrics/load_report.h"

namespace skiff::dataplane {

uint64_t MetricsEndpoint::BodyLimit(const http::request_header<>&) const { return 0; }

std::optional<HttpResponse> MetricsEndpoint::Admit(const http::request_header<>& header,
                                                   const std::string&) {
  const bool has_body = header.find(http::field::transfer_encoding) != header.end() ||
                        (header.find(http::field::content_length) != header.end() &&
                         header[http::field::content_length] != "0");
  if (!has_body) return std::nullopt;
  return Answer(header);
}

void MetricsEndpoint::Handle(HttpRequest request, const std::string&,
                             std::function<void(HttpResponse)> respond) {
  respond(Answer(request));
}

HttpResponse MetricsEndpoint::Answer(const http::request_header<>& header) const {
  std::string_view target(header.target().data(), header.target().size());
  target = target.substr(0, target.find('?'));
  const bool load = target == "/load" && load_ != nullptr;
  if (target != "/metrics" && !load) {
    return ErrorResponse(http::status::not_found,
                         "no route for " + std::string(target) + "; this port serves GET /metrics" +
                             (load_ != nullptr ? " and GET /load" : "") +
                             " only (docs/protocols.md)");
  }
  if (header.method() != http::verb::get) {
    HttpResponse r = ErrorResponse(http::status::method_not_allowed,
                                   std::string(header.method_string()) + " is not allowed on " +
                                       std::string(target) + "; use GET");
    r.set(http::field::allow, "GET");
    return r;
  }
  if (load) {
    return JsonResponse(http::status::ok, SerializeLoadReport(load_->Load()));
  }
  return MakeResponse(http::status::ok, registry_->RenderPrometheusText(),
                      "text/plain; version=0.0.4");
}

}  // namespace skiff::dataplane
