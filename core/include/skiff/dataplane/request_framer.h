// SPDX-License-Identifier: Apache-2.0
// RequestFramer: how one HTTP/1.1 request is cut off the front of a byte
// stream and checked, synchronously: bytes in, verdicts out, no I/O. The
// server's Session drives it from its socket; the fuzzers
// (fuzz/http_request_parse.h) drive it from a buffer, so both parse exactly
// the same way. In order:
//   1. PutHeader: every header byte through ObsFoldScanner before Beast's
//      request_parser (over UnreservedStringBody, header limit) sees it;
//   2. Admit: FramingError (Transfer-Encoding other than one "chunked"),
//      the handler's Admit() on the header, its BodyLimit() against
//      Content-Length, then that limit on the parser;
//   3. PutBody until parser().is_done(); Release() the request.
// A step that ends the request yields the answer to send before closing
// (an error body from protocol::EncodeError, or the handler's refusal).
// The server-wide body budget, 100-continue, timeouts and the connection
// cap are the Session's: they depend on the socket and other connections.
// Threading: one framer per connection, used by one thread at a time.
// The steps are inline: they run for every request, inside the session.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "skiff/dataplane/http_server.h"

namespace skiff::dataplane {

class RequestFramer {
 public:
  explicit RequestFramer(uint32_t max_header_bytes);

  // Starts a new request (a fresh parser).
  void Reset() {
    parser_.emplace();
    parser_->header_limit(max_header_bytes_);
    // The real limit depends on the target; Admit() checks it against
    // Content-Length and sets it, before any body byte.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    obs_fold_ = ObsFoldScanner();
    scanned_ = 0;
    limit_ = 0;
  }

  // Step 1. `buffered` is every byte received and not yet consumed (the
  // same bytes again plus new ones after a call that needed more); returns
  // how many the parser took: consume them. Sets *answer when the header is
  // malformed (obs-fold, a bad line, over the limit).
  size_t PutHeader(std::string_view buffered, std::optional<HttpResponse>* answer) {
    if (!obs_fold_.Scan(buffered.substr(scanned_))) {
      *answer = ObsFoldAnswer();
      return 0;
    }
    scanned_ = buffered.size();
    if (buffered.empty()) return 0;
    boost::beast::error_code ec;
    const size_t used = parser_->put(boost::asio::buffer(buffered.data(), buffered.size()), ec);
    scanned_ -= used;
    if (!parser_->is_header_done() && ec && ec != http::error::need_more) *answer = AnswerFor(ec);
    return used;
  }
  bool header_done() const { return parser_->is_header_done(); }

  // Step 2, once header_done(): nullopt lets the body be read.
  // `memo`: the connection's (HttpHandler::Admit); null for none.
  std::optional<HttpResponse> Admit(HttpHandler& handler, const std::string& client,
                                    ConnectionMemo* memo = nullptr) {
    const auto& header = parser_->get();
    if (std::string error = FramingError(header, parser_->chunked()); !error.empty()) {
      return MalformedAnswer(error);
    }
    // The handler's verdict (authentication) before any body byte is read.
    std::optional<HttpResponse> refusal =
        memo != nullptr ? handler.Admit(header, client, memo) : handler.Admit(header, client);
    if (refusal) return refusal;
    limit_ = handler.BodyLimit(header);
    if (const auto declared = parser_->content_length(); declared && *declared > limit_) {
      return TooLargeAnswer(*declared);
    }
    parser_->body_limit(limit_);
    return std::nullopt;
  }
  // The body limit Admit() set.
  uint64_t body_limit() const { return limit_; }

  // Step 3: feeds body bytes; returns how many were used. *ec as Beast's
  // parser sets it (need_more: send more bytes).
  size_t PutBody(std::string_view bytes, boost::beast::error_code* ec) {
    return parser_->put(boost::asio::buffer(bytes.data(), bytes.size()), *ec);
  }

  // The parser, for reading the body straight from a socket and for the
  // chunk-header callback.
  RequestParser& parser() { return *parser_; }
  // The parsed request, once parser().is_done().
  HttpRequest Release() {
    auto parsed = parser_->release();
    return HttpRequest(std::move(parsed.base()), std::move(parsed.body()));
  }

  // The answer to a parse error (431, 413, 400 naming what was wrong);
  // nullopt for errors that mean the peer went away (EOF, reset, timeout):
  // those just close.
  std::optional<HttpResponse> AnswerFor(const boost::beast::error_code& ec) const;

 private:
  // The answers, out of line (not on the path of a good request).
  static HttpResponse ObsFoldAnswer();
  static HttpResponse MalformedAnswer(const std::string& error);
  HttpResponse TooLargeAnswer(uint64_t declared) const;

  const uint32_t max_header_bytes_;
  std::optional<RequestParser> parser_;
  ObsFoldScanner obs_fold_;  // over the header section being read
  size_t scanned_ = 0;       // bytes at the front of the buffered input already scanned
  uint64_t limit_ = 0;
};

}  // namespace skiff::dataplane
