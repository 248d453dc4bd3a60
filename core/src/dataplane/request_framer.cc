#include "skiff/dataplane/request_framer.h"

#include <limits>

#include "skiff/protocol/infer_response.h"

namespace skiff::dataplane {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

HttpResponse Refuse(http::status status, std::string_view message) {
  return MakeResponse(status, protocol::EncodeError(message));
}

}  // namespace

RequestFramer::RequestFramer(uint32_t max_header_bytes) : max_header_bytes_(max_header_bytes) {
  Reset();
}

void RequestFramer::Reset() {
  parser_.emplace();
  parser_->header_limit(max_header_bytes_);
  // The real limit depends on the target; Admit() checks it against
  // Content-Length and sets it, before any body byte.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  obs_fold_ = ObsFoldScanner();
  scanned_ = 0;
  limit_ = 0;
}

size_t RequestFramer::PutHeader(std::string_view buffered, std::optional<HttpResponse>* answer) {
  if (!obs_fold_.Scan(buffered.substr(scanned_))) {
    *answer = Refuse(http::status::bad_request,
                     "malformed request: a header line starts with whitespace (obs-fold); "
                     "send each header on one line");
    return 0;
  }
  scanned_ = buffered.size();
  if (buffered.empty()) return 0;
  beast::error_code ec;
  const size_t used = parser_->put(asio::buffer(buffered.data(), buffered.size()), ec);
  scanned_ -= used;
  if (!parser_->is_header_done() && ec && ec != http::error::need_more) *answer = AnswerFor(ec);
  return used;
}

std::optional<HttpResponse> RequestFramer::Admit(HttpHandler& handler, const std::string& client) {
  const auto& header = parser_->get();
  if (std::string error = FramingError(header, parser_->chunked()); !error.empty()) {
    return Refuse(http::status::bad_request, "malformed request: " + error);
  }
  // The handler's verdict (authentication) before any body byte is read.
  if (std::optional<HttpResponse> refusal = handler.Admit(header, client)) return refusal;
  limit_ = handler.BodyLimit(header);
  if (const auto declared = parser_->content_length(); declared && *declared > limit_) {
    return Refuse(http::status::payload_too_large,
                  "request body of " + std::to_string(*declared) + " bytes exceeds the limit of " +
                      std::to_string(limit_) + " bytes (maxRequestBodyBytes)");
  }
  parser_->body_limit(limit_);
  return std::nullopt;
}

size_t RequestFramer::PutBody(std::string_view bytes, beast::error_code* ec) {
  return parser_->put(asio::buffer(bytes.data(), bytes.size()), *ec);
}

HttpRequest RequestFramer::Release() {
  auto parsed = parser_->release();
  return HttpRequest(std::move(parsed.base()), std::move(parsed.body()));
}

std::optional<HttpResponse> RequestFramer::AnswerFor(const beast::error_code& ec) const {
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset) {
    return std::nullopt;
  }
  if (ec == http::error::header_limit) {
    return Refuse(http::status::request_header_fields_too_large,
                  "request header section exceeds " + std::to_string(max_header_bytes_) +
                      " bytes");
  }
  if (ec == http::error::body_limit) {
    return Refuse(http::status::payload_too_large,
                  "request body exceeds the limit (maxRequestBodyBytes)");
  }
  if (ec == http::error::bad_transfer_encoding || ec == http::error::bad_content_length) {
    return Refuse(http::status::bad_request,
                  "malformed request: conflicting or invalid Content-Length / "
                  "Transfer-Encoding (" + ec.message() + ")");
  }
  return Refuse(http::status::bad_request, "malformed HTTP request: " + ec.message());
}

}  // namespace skiff::dataplane
