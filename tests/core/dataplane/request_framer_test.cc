// SPDX-License-Identifier: Apache-2.0
// RequestFramer over buffers: the same framing decisions the server makes on
// a socket (hostile_http_test.cc checks them there) and the fuzzers make on
// their inputs.
#include "skiff/dataplane/request_framer.h"

#include <gtest/gtest.h>

#include "skiff/protocol/infer_response.h"

namespace skiff::dataplane {
namespace {

// Refuses targets starting with /deny (401); bodies up to 10 bytes.
class TenByteHandler final : public HttpHandler {
 public:
  uint64_t BodyLimit(const http::request_header<>&) const override { return 10; }
  std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                    const std::string&) override {
    ++admitted;
    if (header.target().starts_with("/deny")) {
      return MakeResponse(http::status::unauthorized, protocol::EncodeError("no"));
    }
    return std::nullopt;
  }
  void Handle(HttpRequest, const std::string&, std::function<void(HttpResponse)>) override {}
  int admitted = 0;
};

struct Framed {
  std::optional<HttpResponse> answer;  // the error answer, if any
  bool header_done = false;
  size_t used = 0;
};

// Header, then Admit: what the framer says about `bytes`.
Framed Frame(RequestFramer& framer, TenByteHandler& handler, std::string_view bytes) {
  Framed f;
  f.used = framer.PutHeader(bytes, &f.answer);
  f.header_done = framer.header_done();
  if (!f.answer && f.header_done) f.answer = framer.Admit(handler, "127.0.0.1");
  return f;
}

TEST(HttpServerFramer, PipelinedRequestsComeOffOneAtATime) {
  TenByteHandler handler;
  RequestFramer framer(16 * 1024);
  const std::string first = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  const std::string bytes = first + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  Framed f = Frame(framer, handler, bytes);
  ASSERT_FALSE(f.answer.has_value());
  ASSERT_TRUE(f.header_done);
  boost::beast::error_code ec;
  const size_t body = framer.PutBody(std::string_view(bytes).substr(f.used), &ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(framer.parser().is_done());
  EXPECT_EQ(f.used + body, first.size());
  HttpRequest request = framer.Release();
  EXPECT_EQ(request.target(), "/a");
  EXPECT_EQ(request.body(), "hello");
  EXPECT_EQ(framer.body_limit(), 10u);

  framer.Reset();
  Framed second = Frame(framer, handler, std::string_view(bytes).substr(first.size()));
  ASSERT_FALSE(second.answer.has_value());
  EXPECT_TRUE(framer.parser().is_done());
  EXPECT_EQ(framer.Release().target(), "/b");
}

TEST(HttpServerFramer, HeaderInPiecesNeedsMoreThenCompletes) {
  TenByteHandler handler;
  RequestFramer framer(16 * 1024);
  const std::string bytes = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  std::optional<HttpResponse> answer;
  // The caller hands the framer everything not yet consumed each time.
  std::string buffered = bytes.substr(0, 10);
  buffered.erase(0, framer.PutHeader(buffered, &answer));
  EXPECT_FALSE(answer.has_value());
  EXPECT_FALSE(framer.header_done());
  buffered += bytes.substr(10);
  framer.PutHeader(buffered, &answer);
  EXPECT_FALSE(answer.has_value());
  EXPECT_TRUE(framer.header_done());
}

TEST(HttpServerFramer, MalformedRequestsGetTheServersAnswers) {
  TenByteHandler handler;
  auto status_of = [&](const std::string& bytes) {
    RequestFramer framer(64);
    Framed f = Frame(framer, handler, bytes);
    return f.answer ? f.answer->result() : http::status::ok;
  };
  EXPECT_EQ(status_of("GET /a HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), http::status::bad_request);
  EXPECT_EQ(status_of("GET /a HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n"),
            http::status::request_header_fields_too_large);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n"),
            http::status::bad_request);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nContent-Length: 11\r\n\r\n"),
            http::status::payload_too_large);
  EXPECT_EQ(status_of("GARBAGE\r\n\r\n"), http::status::bad_request);
}

TEST(HttpServerFramer, TheHandlersRefusalComesBeforeTheBodyLimit) {
  TenByteHandler handler;
  RequestFramer framer(16 * 1024);
  Framed f = Frame(framer, handler, "POST /deny HTTP/1.1\r\nContent-Length: 99999\r\n\r\n");
  ASSERT_TRUE(f.answer.has_value());
  EXPECT_EQ(f.answer->result(), http::status::unauthorized);
  EXPECT_EQ(handler.admitted, 1);
  // No Admit for a request whose framing is already wrong.
  RequestFramer other(16 * 1024);
  Frame(other, handler, "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(handler.admitted, 1);
}

TEST(HttpServerFramer, ConnectionEndingErrorsHaveNoAnswer) {
  RequestFramer framer(1024);
  EXPECT_FALSE(framer.AnswerFor(boost::asio::error::eof).has_value());
  EXPECT_FALSE(framer.AnswerFor(boost::beast::error::timeout).has_value());
  auto too_big = framer.AnswerFor(http::error::body_limit);
  ASSERT_TRUE(too_big.has_value());
  EXPECT_EQ(too_big->result(), http::status::payload_too_large);
  EXPECT_EQ(too_big->body(),
            protocol::EncodeError("request body exceeds the limit (maxRequestBodyBytes)"));
}

}  // namespace
}  // namespace skiff::dataplane
