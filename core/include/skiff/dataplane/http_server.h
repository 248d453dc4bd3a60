// HttpServer: HTTP/1.1 on Boost.Beast/Asio, with the limits the data plane
// promises: header section over the limit -> 431, body over the handler's
// limit -> 413 before the body is read, malformed HTTP (including both
// Content-Length and Transfer-Encoding, a Transfer-Encoding other than
// "chunked", and obs-fold line continuations) -> 400 and close, idle and slow
// connections time out. I/O threads only parse and hand requests to the
// handler, which answers through a callback from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "skiff/status.h"

namespace skiff::dataplane {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // "0.0.0.0" to listen on every interface
  uint16_t port = 0;                   // 0 = a free port; see HttpServer::port()
  // An already bound and listening TCP socket to accept on instead of
  // binding address:port (socket activation: skiff-supervisor holds the
  // socket across server restarts). Start() takes ownership when it
  // succeeds. -1 = bind address:port.
  int listen_fd = -1;
  int io_threads = 2;                  // threads running the I/O loop
  uint32_t max_header_bytes = 16 * 1024;            // larger header section -> 431
  std::chrono::milliseconds idle_timeout{60000};   // no request started in this time -> close
  std::chrono::milliseconds request_timeout{30000};  // body not received in this time -> close
  std::chrono::milliseconds write_timeout{30000};    // response not taken in this time -> close
};

// What the server calls for each request.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;

  // Largest body accepted for a request with this header; larger ones get
  // 413 without their body being read. Threading: called on I/O threads.
  virtual uint64_t BodyLimit(const http::request_header<>& header) const = 0;

  // Handles one request. `respond` must be called exactly once, from any
  // thread. Must not block: an I/O thread never waits on a model.
  // Threading: called concurrently on I/O threads.
  virtual void Handle(HttpRequest request, const std::string& client_address,
                      std::function<void(HttpResponse)> respond) = 0;
};

class HttpServer {
 public:
  // Binds and starts serving on options.io_threads threads.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     HttpHandler* handler);
  // Stops the I/O threads. The handler must have answered every request it
  // was given (drain first): pending callbacks must not outlive the server.
  ~HttpServer();

  // The bound port (useful with port 0).
  uint16_t port() const;

  // Stops accepting; connections finish the request they are in and close.
  // Threading: any thread; idempotent.
  void StopAccepting();

  // Number of open connections (for drain and tests).
  int64_t open_connections() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Request framing rules beyond Beast's parser, shared by the server and the
// fuzzers (fuzz/http_request_fuzzer.cc).
//
// Scans header-section bytes for obs-fold (a line starting with SP or HTAB,
// RFC 7230 3.2.4): Beast joins folded lines, a proxy in front may not, so
// the two would disagree on header values (request smuggling). Feed the
// section in order, in any number of pieces; stops at its end (the empty
// line) so body bytes read along with the header are never looked at.
class ObsFoldScanner {
 public:
  // Returns false once obs-fold is seen.
  bool Scan(std::string_view bytes);
  // True once the empty line ending the header section has been seen.
  bool header_ended() const { return ended_; }

 private:
  bool line_start_ = false;  // the request line is not a header line
  bool ended_ = false;
  bool folded_ = false;
};

// Empty when the parsed header frames its body unambiguously; otherwise why
// not. Beast already refuses Content-Length with chunked and differing
// Content-Lengths; this adds RFC 7230 3.3.3: a request Transfer-Encoding
// must be exactly one "chunked" (Beast takes "chunked, identity" or
// "identity" as no body at all, and then reads the body as the next request).
std::string FramingError(const http::request_header<>& header, bool chunked);

// `{"error": "<message>"}` with the message JSON-escaped (OIP v2 error shape).
std::string ErrorBody(const std::string& message);

// A plain response with `body` and content type.
HttpResponse MakeResponse(http::status status, std::string body,
                          const std::string& content_type = "application/json");

// Writes the header section of `response` ("HTTP/1.x NNN Reason\r\n", every
// field in order, "\r\n") into *out, byte for byte what Beast's serializer
// writes before the body; the server sends it and the body in one gather
// write. Returns false, leaving the job to Beast, for anything but an
// HTTP/1.0 or 1.1 response with a Content-Length (call prepare_payload first).
bool SerializeResponseHeader(const HttpResponse& response, std::string* out);

}  // namespace skiff::dataplane
