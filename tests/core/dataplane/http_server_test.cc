// SPDX-License-Identifier: Apache-2.0
// HttpServer on a real loopback socket (port 0), driven by raw bytes so that
// malformed and hostile requests can be sent as-is.
#include "skiff/dataplane/http_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "raw_client.h"
#include "skiff/protocol/infer_response.h"

namespace skiff::dataplane {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class EchoHandler : public HttpHandler {
 public:
  uint64_t BodyLimit(const http::request_header<>&) const override { return 1024; }
  void Handle(HttpRequest request, const std::string& client,
              std::function<void(HttpResponse)> respond) override {
    // Answer from another thread, as the data plane does.
    std::thread([request = std::move(request), client, respond] {
      auto res = MakeResponse(http::status::ok,
                              std::string(request.target()) + "|" + request.body() + "|" + client,
                              "text/plain");
      respond(std::move(res));
    }).detach();
  }
};

using skiff::testing::RawClient;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.idle_timeout = std::chrono::milliseconds(300);
    options.request_timeout = std::chrono::milliseconds(300);
    auto server = HttpServer::Start(options, &handler_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

// What the server writes for a response is byte for byte what Beast's
// serializer writes (its operator<< runs the same serializer).
TEST(HttpServerSerializeTest, ResponseHeaderAndBodyAreBeastsBytes) {
  std::vector<HttpResponse> responses;
  responses.push_back(MakeResponse(http::status::ok, R"({"outputs":[]})"));
  responses.back().set("azureml-model-deployment", "blue");
  responses.push_back(MakeResponse(http::status::unauthorized, protocol::EncodeError("no key")));
  responses.back().set(http::field::www_authenticate, "Bearer");
  responses.back().keep_alive(false);
  responses.push_back(
      MakeResponse(http::status::service_unavailable, protocol::EncodeError("busy")));
  responses.back().set(http::field::retry_after, "1");
  responses.push_back(MakeResponse(http::status::ok, "", "text/plain"));
  responses.back().version(10);
  responses.back().keep_alive(true);
  responses.push_back(MakeResponse(static_cast<http::status>(299), "x"));  // no known reason
  responses.push_back(MakeResponse(http::status::ok, "custom"));
  responses.back().reason("Fine");
  for (HttpResponse& r : responses) {
    r.prepare_payload();
    std::ostringstream beast_bytes;
    beast_bytes << r;
    std::string head;
    ASSERT_TRUE(SerializeResponseHeader(r, &head));
    EXPECT_EQ(head + r.body(), beast_bytes.str());
  }
  HttpResponse chunked = MakeResponse(http::status::ok, "x");
  chunked.chunked(true);
  std::string head;
  EXPECT_FALSE(SerializeResponseHeader(chunked, &head)) << "left to Beast";
}

// The header the server sends for a handler's answer, with the ids,
// Connection and Content-Length written straight into the bytes, is what
// setting them on the response and serializing it gives (the path it
// replaces), for both HTTP versions, kept alive or not.
TEST(HttpServerSerializeTest, AnswerHeaderIsWhatSettingTheFieldsWouldSend) {
  std::vector<HttpResponse> responses;
  responses.push_back(MakeResponse(http::status::ok, R"({"outputs":[]})"));
  responses.back().set("azureml-model-deployment", "blue");
  responses.push_back(MakeResponse(http::status::unauthorized, protocol::EncodeError("no key")));
  responses.back().set(http::field::www_authenticate, "Bearer");
  responses.push_back(MakeResponse(http::status::ok, "", "text/plain"));
  responses.push_back(MakeResponse(static_cast<http::status>(299), "x"));  // no known reason
  responses.push_back(MakeResponse(http::status::ok, "custom"));
  responses.back().reason("Fine");
  // A handler's own Server field stays where it is, the only one.
  responses.push_back(MakeResponse(http::status::ok, "x"));
  responses.back().insert(http::field::server, "other");
  // Written into a buffer sized once from the fields (issue 20, eighth
  // session): long and many fields, a long reason, a large body.
  responses.push_back(MakeResponse(http::status::ok, std::string(100000, 'b')));
  responses.back().reason(std::string(600, 'r'));
  for (int i = 0; i < 40; ++i) {
    responses.back().insert("x-field-" + std::to_string(i), std::string(300 + i, 'v'));
  }
  const std::string request_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  for (const std::string& echoed : {request_id, std::string("client-id-1")}) {
    for (const unsigned version : {10u, 11u}) {
      for (const bool keep_alive : {true, false}) {
        for (const HttpResponse& original : responses) {
          HttpResponse r = original;
          WithServerFirst(&r);
          r.set("x-ms-request-id", request_id);
          r.set("x-request-id", echoed);
          r.version(version);
          r.keep_alive(keep_alive);
          r.prepare_payload();
          std::ostringstream beast_bytes;
          beast_bytes << r;
          std::string head;
          ASSERT_TRUE(
              SerializeAnswerHeader(original, version, keep_alive, request_id, echoed, &head));
          EXPECT_EQ(head + original.body(), beast_bytes.str())
              << "HTTP/" << version << " keep-alive " << keep_alive;
        }
      }
    }
  }
  // What setting the fields would replace or rewrite is left to that path.
  std::vector<HttpResponse> others;
  others.push_back(MakeResponse(http::status::ok, "x"));
  others.back().set(http::field::connection, "close");
  others.push_back(MakeResponse(http::status::ok, "x"));
  others.back().set(http::field::content_length, "1");
  others.push_back(MakeResponse(http::status::ok, "x"));
  others.back().set(http::field::transfer_encoding, "chunked");
  others.push_back(MakeResponse(http::status::ok, "x"));
  others.back().set("X-Request-Id", "theirs");
  others.push_back(MakeResponse(http::status::ok, "x"));
  others.back().set("X-MS-Request-Id", "theirs");
  others.push_back(MakeResponse(http::status::no_content, ""));
  others.push_back(MakeResponse(http::status::not_modified, ""));
  others.push_back(MakeResponse(http::status::switching_protocols, ""));
  std::string head;
  for (const HttpResponse& r : others) {
    EXPECT_FALSE(SerializeAnswerHeader(r, 11, true, request_id, request_id, &head))
        << r.base();
  }
  EXPECT_FALSE(SerializeAnswerHeader(MakeResponse(http::status::ok, "x"), 20, true, request_id,
                                     request_id, &head));
}

// The scanner gives the same answer whether the header arrives whole or
// byte by byte, and never looks past the empty line.
TEST(HttpServerObsFoldScannerTest, FindsFoldsAtLineStartsOnlyInAnyPieces) {
  struct Case {
    std::string bytes;
    bool ok;
    bool ended;
  };
  const std::vector<Case> cases = {
      {"POST / HTTP/1.1\r\nHost: a\r\nX: b c\r\n\r\n", true, true},
      {"POST / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", false, false},
      {"POST / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", false, false},
      {"POST / HTTP/1.1\r\nHost: a\r\n\r\n body", true, true},  // body bytes ignored
      {"POST / HTTP/1.1\nHost: a\n\n", true, true},
      {"POST / HTTP/1.1\r\nHost: a\r\n", true, false},
      {" POST / HTTP/1.1\r\n", true, false},  // the request line is not a header line
  };
  for (const Case& c : cases) {
    ObsFoldScanner whole;
    EXPECT_EQ(whole.Scan(c.bytes), c.ok) << c.bytes;
    EXPECT_EQ(whole.header_ended(), c.ended) << c.bytes;
    ObsFoldScanner pieces;
    bool ok = true;
    for (char ch : c.bytes) ok = pieces.Scan(std::string_view(&ch, 1)) && ok;
    EXPECT_EQ(ok, c.ok) << c.bytes;
    EXPECT_EQ(pieces.header_ended(), c.ended) << c.bytes;
  }
}

TEST_F(HttpServerTest, ServesKeepAliveRequestsFromAnotherThread) {
  RawClient c(server_->port());
  c.Send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  std::string r1 = c.ReadResponse();
  EXPECT_EQ(r1.rfind("HTTP/1.1 200 OK", 0), 0u) << r1;
  EXPECT_NE(r1.find("/a|hello|127.0.0.1"), std::string::npos);
  c.Send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r2 = c.ReadResponse();
  EXPECT_NE(r2.find("/b||127.0.0.1"), std::string::npos) << r2;
}

// The server writes `Server: skiff` into every answer's header bytes
// rather than each response carrying it as a field (issue 20, eighth
// session): once, first after the status line, on the answer's own path,
// on the path through the response's fields (a 204), and for the framer's
// refusals; a handler's own Server field is sent instead, in its place.
class StatusHandler : public HttpHandler {
 public:
  uint64_t BodyLimit(const http::request_header<>&) const override { return 1024; }
  void Handle(HttpRequest request, const std::string&,
              std::function<void(HttpResponse)> respond) override {
    if (request.target() == "/204") return respond(MakeResponse(http::status::no_content, ""));
    HttpResponse r = MakeResponse(http::status::ok, "ok", "text/plain");
    if (request.target() == "/own") r.insert(http::field::server, "other");
    if (request.target() == "/v10") r.version(10);
    if (request.target() == "/close") r.insert(http::field::connection, "close");
    respond(std::move(r));
  }
};

TEST(HttpServerAnswerTest, EveryAnswerNamesTheServerOnceFirst) {
  StatusHandler handler;
  auto server = HttpServer::Start(HttpServerOptions{}, &handler);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const auto head_of = [](const std::string& reply) {
    return reply.substr(0, reply.find("\r\n\r\n"));
  };
  const auto count = [](const std::string& head, const std::string& what) {
    size_t n = 0;
    for (size_t at = head.find(what); at != std::string::npos; at = head.find(what, at + 1)) ++n;
    return n;
  };
  RawClient c((*server)->port());
  for (const std::string target : {"/a", "/204", "/own"}) {
    c.Send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string head = head_of(c.ReadResponse());
    if (target == "/own") {
      EXPECT_NE(head.find("\r\nServer: other\r\n"), std::string::npos) << head;
    } else {
      EXPECT_EQ(head.substr(head.find("\r\n"), 17), "\r\nServer: skiff\r\n") << head;
    }
    EXPECT_EQ(count(head, "\r\nServer:"), 1u) << head;
  }
  // A handler's HTTP/1.0 answer or its own Connection field ends the
  // connection once it is sent; a 1.1 answer without one keeps it (above).
  for (const std::string target : {"/v10", "/close"}) {
    RawClient once((*server)->port());
    once.Send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(once.ReadResponse().rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << target;
    EXPECT_TRUE(once.ClosedByServer()) << target;
  }
  RawClient bad((*server)->port());
  bad.Send("GARBAGE\r\n\r\n");
  const std::string head = head_of(bad.ReadResponse());
  EXPECT_EQ(head.rfind("HTTP/1.1 400 Bad Request\r\nServer: skiff\r\n", 0), 0u) << head;
  EXPECT_EQ(count(head, "\r\nServer:"), 1u) << head;
}

TEST_F(HttpServerTest, ChunkedBodyIsAccepted) {
  RawClient c(server_->port());
  c.Send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_NE(c.ReadResponse().find("/c|abc|"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeaderSectionGets431AndClose) {
  RawClient c(server_->port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n");
  std::string r = c.ReadResponse();
  EXPECT_EQ(r.rfind("HTTP/1.1 431", 0), 0u) << r.substr(0, 80);
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, BodyOverLimitGets413BeforeTheBodyIsSent) {
  RawClient c(server_->port());
  // Only the header is sent: the answer must come without the body.
  c.Send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n");
  std::string r = c.ReadResponse();
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  EXPECT_NE(r.find("exceeds the limit of 1024 bytes"), std::string::npos);
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitGets413) {
  RawClient c(server_->port());
  c.Send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
         std::string(0x800, 'z') + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 413", 0), 0u);
}

TEST_F(HttpServerTest, ContentLengthWithTransferEncodingGets400AndClose) {
  RawClient c(server_->port());
  c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\nabc\r\n0\r\n\r\n");
  std::string r = c.ReadResponse();
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, MalformedRequestGets400AndClose) {
  RawClient c(server_->port());
  c.Send("THIS IS NOT HTTP\r\n\r\n");
  std::string r = c.ReadResponse();
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
  EXPECT_NE(r.find("{\"error\":\"malformed HTTP request"), std::string::npos) << r;
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  RawClient c(server_->port());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ClosedByServer());  // blocks until the server's idle timeout
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HttpServerTest, SlowBodyIsCutOff) {
  RawClient c(server_->port());
  c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");  // 8 bytes never come
  EXPECT_TRUE(c.ClosedByServer());
}

// Ninth session: a header that came whole in one read takes its body
// deadline from that read's clock reading (the access log's first byte)
// rather than a second one after the parse. Either way the body has the
// full request_timeout (300 ms here) from the header's last byte: the server
// never cuts it off earlier, whether the header came in one piece or two.
TEST_F(HttpServerTest, TheBodyTimeoutCountsFromTheHeadersEndInOneReadOrTwo) {
  using Clock = std::chrono::steady_clock;
  {
    RawClient c(server_->port());
    const auto header_end = Clock::now();
    c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
    EXPECT_TRUE(c.ClosedByServer());
    EXPECT_GE(Clock::now() - header_end, std::chrono::milliseconds(300));
  }
  {
    RawClient c(server_->port());
    c.Send("POST / HTTP/1.1\r\nHost: x\r\n");
    // A pause so that the rest usually comes in a read of its own (the
    // header_started_ path); if the two pieces are read together, the
    // bound below holds all the same.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto header_end = Clock::now();
    c.Send("Content-Length: 10\r\n\r\nab");
    EXPECT_TRUE(c.ClosedByServer());
    EXPECT_GE(Clock::now() - header_end, std::chrono::milliseconds(300));
  }
}

// Every request moves a connection's deadline (idle, body, write); the
// timer behind it is armed lazily. A connection that served many requests
// is still closed at its idle timeout, and a header started after them is
// still cut off at the header timeout, which is earlier than the idle
// deadline already armed (the timer must be re-armed for it).
TEST_F(HttpServerTest, AServedKeepAliveConnectionStillTimesOutWhenIdle) {
  RawClient c(server_->port());
  for (int i = 0; i < 20; ++i) {
    c.Send("GET /k HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(c.ReadResponse().find("/k||"), std::string::npos) << "request " << i;
  }
  EXPECT_TRUE(c.ClosedByServer());  // false after RawClient's 5 s receive timeout
}

TEST(HttpServerTimeoutTest, AHeaderStartedAfterServedRequestsIsCutOffAtTheHeaderTimeout) {
  EchoHandler handler;
  HttpServerOptions options;
  options.idle_timeout = std::chrono::seconds(30);  // past RawClient's 5 s receive timeout
  options.header_timeout = std::chrono::milliseconds(300);
  auto server = HttpServer::Start(options, &handler);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RawClient c((*server)->port());
  for (int i = 0; i < 5; ++i) {
    c.Send("GET /k HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(c.ReadResponse().find("/k||"), std::string::npos) << "request " << i;
  }
  c.Send("GET /slow HTTP/1.1\r\nHost: x\r\n");  // the empty line never comes
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ClosedByServer()) << "not closed at the header timeout";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST(HttpServerStartTest, BadAddressIsAClearError) {
  EchoHandler handler;
  HttpServerOptions options;
  options.address = "not-an-ip";
  auto server = HttpServer::Start(options, &handler);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("listen address 'not-an-ip'"), std::string::npos);
}

// Socket activation (skiff-supervisor holds the port across restarts): the
// server accepts on a socket it is given instead of binding its own.
int ListeningSocket(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

TEST(HttpServerStartTest, AcceptsOnAGivenListeningSocketAndIgnoresAddressAndPort) {
  EchoHandler handler;
  uint16_t port = 0;
  HttpServerOptions options;
  options.listen_fd = ListeningSocket(&port);
  options.address = "not-an-ip";  // not used: the socket is bound already
  auto server = HttpServer::Start(options, &handler);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ((*server)->port(), port);
  RawClient c(port);
  c.Send("GET /given HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.ReadResponse().find("200 OK"), std::string::npos);
}

TEST(HttpServerStartTest, AGivenSocketThatIsNotListeningIsAClearError) {
  EchoHandler handler;
  HttpServerOptions options;
  options.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto server = HttpServer::Start(options, &handler);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("is not listening"), std::string::npos)
      << server.status().message();
  ::close(options.listen_fd);
}

TEST(HttpServerStartTest, AGivenFdThatIsNotASocketIsAClearError) {
  EchoHandler handler;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  HttpServerOptions options;
  options.listen_fd = pipe_fds[0];
  auto server = HttpServer::Start(options, &handler);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("listen socket (fd " + std::to_string(pipe_fds[0]) +
                                           ") is not a socket"),
            std::string::npos)
      << server.status().message();
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

// HttpHandler::HandleParts' default, for a handler that cannot decode parts
// where they lie (DataPlane can): the parts joined after the JSON into one
// body, framed for Handle, in order, with nothing lost.
TEST(HttpHandlerTest, HandlePartsDefaultJoinsThePartsIntoTheBody) {
  struct Recorder : HttpHandler {
    uint64_t BodyLimit(const http::request_header<>&) const override { return 1 << 20; }
    void Handle(HttpRequest request, const std::string& client,
                std::function<void(HttpResponse)> respond) override {
      seen = std::move(request);
      seen_client = client;
      respond(HttpResponse(http::status::ok, 11));
    }
    HttpRequest seen;
    std::string seen_client;
  } recorder;
  HttpRequest request(http::verb::post, "/v2/models/m/infer", 11);
  request.body() = "{\"inputs\":[]}";
  request.set("Inference-Header-Content-Length", "13");
  const std::string a = "abc", b("\0\xff", 2);
  bool answered = false;
  recorder.HandleParts(std::move(request), {a, b}, metrics::RequestProtocol::kGrpc, "10.0.0.1",
                       [&](HttpResponse r) { answered = r.result_int() == 200; });
  EXPECT_TRUE(answered);
  EXPECT_EQ(recorder.seen_client, "10.0.0.1");
  EXPECT_EQ(recorder.seen.body(), std::string("{\"inputs\":[]}abc\0\xff", 18));
  EXPECT_EQ(recorder.seen[http::field::content_length], "18");
  EXPECT_EQ(recorder.seen["Inference-Header-Content-Length"], "13");
}

}  // namespace
}  // namespace skiff::dataplane
