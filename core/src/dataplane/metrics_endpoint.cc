// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/metrics_endpoint.h"

#include <charconv>

#include "skiff/dataplane/request_stages.h"
#include "skiff/exposure_page.h"
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
  const size_t question = target.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  target = target.substr(0, question);
  const bool load = target == "/load" && load_ != nullptr;
  const bool exposure = target == exposure_page::kPath && exposure_ != nullptr;
  if (target != "/metrics" && !load && !exposure) {
    return ErrorResponse(http::status::not_found,
                         "no route for " + std::string(target) + "; this port serves GET /metrics" +
                             (load_ != nullptr ? ", GET /load" : "") +
                             (exposure_ != nullptr ? ", GET /exposure" : "") +
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
  if (exposure) return AnswerExposure(query);
  return MakeResponse(http::status::ok, registry_->RenderPrometheusText(),
                      "text/plain; version=0.0.4");
}

HttpResponse MetricsEndpoint::AnswerExposure(std::string_view query) const {
  // `from` (a cursor: digits and '-') and `max` (digits) need no decoding.
  std::string_view from;
  size_t max_bytes = ExposureLogReader::kDefaultPageBytes;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (name == exposure_page::kFromParam) {
      from = value;
    } else if (name == exposure_page::kMaxParam) {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), max_bytes);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return ErrorResponse(http::status::bad_request,
                             "`max` must be a byte count (" +
                                 std::to_string(ExposureLogReader::kMinPageBytes) + "-" +
                                 std::to_string(ExposureLogReader::kMaxPageBytes) + ")");
      }
    }
  }
  StatusOr<ExposurePage> page = exposure_->Read(from, max_bytes);
  if (!page.ok()) return ErrorResponse(page.status());
  HttpResponse r =
      MakeResponse(http::status::ok, std::move(page->lines), exposure_page::kContentType);
  r.set(exposure_page::kNextHeader, page->next);
  r.set(exposure_page::kEndHeader, page->end ? "true" : "false");
  if (page->lost) r.set(exposure_page::kLostHeader, "true");
  if (page->skipped > 0) r.set(exposure_page::kSkippedHeader, std::to_string(page->skipped));
  return r;
}

}  // namespace skiff::dataplane
