// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/request_framer.h"

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

HttpResponse RequestFramer::ObsFoldAnswer() {
  return Refuse(http::status::bad_request,
                "malformed request: a header line starts with whitespace (obs-fold); "
                "send each header on one line");
}

HttpResponse RequestFramer::MalformedAnswer(const std::string& error) {
  return Refuse(http::status::bad_request, "malformed request: " + error);
}

HttpResponse RequestFramer::TooLargeAnswer(uint64_t declared) const {
  return Refuse(http::status::payload_too_large,
                "request body of " + std::to_string(declared) + " bytes exceeds the limit of " +
                    std::to_string(limit_) + " bytes (maxRequestBodyBytes)");
}

std::optional<HttpResponse> RequestFramer::AnswerFor(const beast::error_code& ec) const {
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
    return std::nullopt;
  }
  if (ec == http::error::header_limit) {
    return Refuse(http::status::request_header_fields_too_large,
                  "request header section exceeds " + std::to_string(max_header_bytes_) + " bytes");
  }
  if (ec == http::error::body_limit) {
    return Refuse(http::status::payload_too_large,
                  "request body exceeds the limit (maxRequestBodyBytes)");
  }
  if (ec == http::error::bad_transfer_encoding || ec == http::error::bad_content_length) {
    return Refuse(http::status::bad_request,
                  "malformed request: conflicting or invalid Content-Length / "
                  "Transfer-Encoding (" +
                      ec.message() + ")");
  }
  return Refuse(http::status::bad_request, "malformed HTTP request: " + ec.message());
}

}  // namespace skiff::dataplane
