// SPDX-License-Identifier: Apache-2.0
// HttpServer: HTTP/1.1 on Boost.Beast/Asio, with the limits the data plane
// promises: header section over the limit -> 431, the handler's verdict on
// the header (HttpHandler::Admit: 401, 429...) and body over the handler's
// limit -> 413 before the body is read, more body bytes in flight than the
// server-wide budget -> 503 before the body is read, malformed HTTP
// (including both Content-Length and Transfer-Encoding, a Transfer-Encoding
// other than "chunked", and obs-fold line continuations) -> 400 and close,
// idle and slow connections time out, open connections are capped (the
// oldest idle one is closed to make room) and the acceptor backs off when
// the process runs out of file descriptors. With options.tls every connection
// shakes hands first (bounded by a handshake timeout). `Expect: 100-continue` gets
// "100 Continue" once the header is admitted, or the final status instead.
// I/O threads parse and hand requests to the handler, which answers through
// a callback from any thread; with options.inline_work they also run what
// the handler posts to them (inline_host.h).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>

#include "skiff/dataplane/tls_context.h"
#include "skiff/metrics/data_plane_metrics.h"
#include "skiff/status.h"

namespace skiff::dataplane {

class AccessLog;
namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// The body the server reads into: http::string_body, except that the string
// is not reserved from the declared Content-Length (Beast's string_body
// reserves it all up front, so a stranger's header could make the server
// commit 100 MiB before a body byte arrived). It grows as bytes come, from at
// most kInitialReserve. HttpRequest is built from it without a copy.
struct UnreservedStringBody {
  using value_type = std::string;
  static constexpr uint64_t kInitialReserve = 64 * 1024;
  static uint64_t size(const value_type& body) { return body.size(); }
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<uint64_t>& length, boost::beast::error_code& ec) {
      // Enough for a typical request in one allocation; never the declared size.
      if (length) body_.reserve(static_cast<size_t>(std::min(*length, kInitialReserve)));
      ec = {};
    }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      const size_t extra = boost::asio::buffer_size(buffers);
      const size_t size = body_.size();
      if (extra > body_.max_size() - size) {
        ec = http::error::buffer_overflow;
        return 0;
      }
      body_.resize(size + extra);
      ec = {};
      return boost::asio::buffer_copy(boost::asio::buffer(&body_[size], extra), buffers);
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};
using RequestParser = http::request_parser<UnreservedStringBody>;

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
  std::chrono::milliseconds idle_timeout{60000};    // no request started in this time -> close
  std::chrono::milliseconds header_timeout{10000};  // header not complete this long after its
                                                    // first byte -> close
  std::chrono::milliseconds request_timeout{30000};  // body not received in this time -> close
  std::chrono::milliseconds write_timeout{30000};    // response not taken in this time -> close
  // After an error answered before the body was read (401, 413, 503...), how
  // long the server keeps reading and discarding what the client still sends
  // before it closes, so the client reads the answer instead of a reset.
  std::chrono::milliseconds linger_timeout{1000};
  // Most open connections. A new one past it closes the oldest idle one (no
  // request in progress) or, when every one is busy, is closed at once.
  // 0 = DefaultMaxConnections() of this process's RLIMIT_NOFILE.
  int64_t max_connections = 0;
  // Server-wide budget of request body bytes being read or held until
  // answered, counted from Content-Length (chunked: chunk by chunk). A
  // request that does not fit gets 503 + Retry-After before its body is read.
  uint64_t max_body_bytes_in_flight = uint64_t{200} * 1024 * 1024;
  // Set: every connection speaks TLS (tls_context.h); a connection in its
  // handshake counts against max_connections and is shed as an idle one.
  std::optional<TlsServerOptions> tls;
  // Set: every answer the server sends (its own 400/431/503 as well as the
  // handler's) gets a line here (access_log.h). Not owned; must outlive the
  // server. Every answer carries x-ms-request-id and x-request-id either way
  // (request_ids.h).
  AccessLog* access_log = nullptr;
  // Offer the I/O threads as InlineHosts (inline_host.h): a handler may run
  // short work on them (ScoringPool's inline scoring). Work that holds an
  // I/O thread longer than `inline_stall` gets a rescue thread that serves
  // the loop meanwhile (at most `max_rescue_threads` at once), so the
  // loop's other connections wait at most about that long.
  bool inline_work = false;
  std::chrono::milliseconds inline_stall{20};
  int max_rescue_threads = 4;
};

// The connection cap for a file-descriptor limit: the limit minus headroom
// for the descriptors the server needs besides connections (plugins, model
// files, logs, the epoll and timer fds): max(limit / 8, 64), at least 16.
int64_t DefaultMaxConnections(uint64_t fd_limit);

// What a handler keeps about one connection from one request to the next:
// HttpServer holds one per connection, hands it to Admit on the connection's
// strand (never two calls at once) and drops it with the connection.
struct ConnectionMemo {
  // The Authorization value last accepted on this connection, and the
  // handler's key-set generation it was accepted under (0: none yet). Set
  // only after a full check accepted it, so a stranger's header leaves
  // nothing here. A secret: never logged.
  uint64_t auth_generation = 0;
  std::string accepted_authorization;
};

// The ids the server gives a request it hands on, as a proxy (Envoy) sets
// x-request-id: its x-ms-request-id and the traceparent a call it makes
// upstream carries (request_ids.h). Views, valid for the Handle call.
struct OnwardIds {
  std::string_view request_id;
  std::string_view traceparent;
};

// What the server calls for each request.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;

  // Largest body accepted for a request with this header; larger ones get
  // 413 without their body being read. Threading: called on I/O threads.
  virtual uint64_t BodyLimit(const http::request_header<>& header) const = 0;

  // Called once a request's header is parsed, before any body byte is read
  // (and before BodyLimit): a response refuses the request (the server sends
  // it and closes the connection, its body unread); nullopt lets it go on to
  // Handle. The place for checks that need only the header (authentication),
  // so a stranger costs no more than a header. Default: admit everything.
  // Threading: called concurrently on I/O threads; must not block.
  virtual std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                            const std::string& client_address) {
    (void)header;
    (void)client_address;
    return std::nullopt;
  }
  // Admit for a request on a connection the server keeps `memo` for (HTTP
  // keep-alive); the handler may remember there what it accepted. Default:
  // the two-argument Admit. Threading: as Admit; `memo` belongs to one
  // connection and is never used by two calls at once.
  virtual std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                            const std::string& client_address,
                                            ConnectionMemo* memo) {
    (void)memo;
    return Admit(header, client_address);
  }

  // The path template of the route `header` goes to, for the access log
  // ("/v2/models/{model}/infer"): never the raw path, which may carry
  // anything a client put there. Must return a string of static lifetime;
  // "" = none known. Threading: called concurrently on I/O threads.
  virtual std::string_view RouteTemplate(const http::request_header<>& header) const {
    (void)header;
    return {};
  }

  // Handles one request Admit() let through. `respond` must be called
  // exactly once, from any thread. Must not block: an I/O thread never waits
  // on a model.
  // Threading: called concurrently on I/O threads.
  virtual void Handle(HttpRequest request, const std::string& client_address,
                      std::function<void(HttpResponse)> respond) = 0;

  // Handle, with the server's onward ids beside the request (HttpServer
  // calls this one). Default: sets them on the request, replacing whatever
  // the client sent under those names (kRequestIdHeader,
  // kTraceparentHeader), and calls Handle. A handler that reads them here
  // instead saves the request two header fields (DataPlane).
  virtual void Handle(HttpRequest request, const std::string& client_address, const OnwardIds& ids,
                      std::function<void(HttpResponse)> respond);

  // Another front's OIP infer request (the gRPC listener's ModelInfer)
  // whose binary tensors are held apart from its body: `request`'s body is
  // the JSON alone, its Inference-Header-Content-Length that length, and
  // the inputs with parameters.binary_data_size take `binary_parts` in
  // order, one whole part each. A handler that decodes the parts where
  // they lie copies each once, into its tensor (DataPlane does); this
  // default appends them to the body and calls Handle (a second copy).
  // `protocol` names the front for the metrics. The parts are read before
  // this returns and may be freed then; `respond` as for Handle. Admit()
  // must have let the header through. Threading: as Handle.
  virtual void HandleParts(HttpRequest request, const std::vector<std::string_view>& binary_parts,
                           metrics::RequestProtocol protocol, const std::string& client_address,
                           std::function<void(HttpResponse)> respond) {
    (void)protocol;
    for (std::string_view part : binary_parts) request.body().append(part);
    request.prepare_payload();
    Handle(std::move(request), client_address, std::move(respond));
  }
};

class HttpServer {
 public:
  // Binds and starts serving on options.io_threads threads.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     HttpHandler* handler);
  // Stops the I/O threads. The handler must have answered every request it
  // was given (drain first); then this waits until the handler has also
  // released every respond callback (a callback holds its connection, whose
  // destructor needs the server), so a callback never outlives the server.
  ~HttpServer();

  // The bound port (useful with port 0).
  uint16_t port() const;

  // Stops accepting; connections finish the request they are in and close.
  // Threading: any thread; idempotent.
  void StopAccepting();

  // Number of open connections (for drain and tests).
  int64_t open_connections() const;
  // TLS handshakes in progress that hold TLS state (an OpenSSL connection
  // and its buffers): only those whose peer has sent a byte; a connected but
  // silent peer holds none. 0 for plain http. For tests and figures.
  int64_t tls_handshakes_with_state() const;
  // The connection cap in force (options.max_connections or its default).
  int64_t max_connections() const;
  // Rescue threads started so far (options.inline_work: inline work held an
  // I/O thread past options.inline_stall). For tests and figures.
  int64_t inline_rescues() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Request framing rules beyond Beast's parser, used by RequestFramer
// (request_framer.h), which the server and the fuzzers share.
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

// A plain response with `body` and content type. The type is a view: a
// std::string parameter made "application/json" (16 bytes, one past the
// short-string buffer) a heap block per answer. It has no Server field: the
// HTTP server writes kServerField into every answer it sends (a field set
// on each response was a heap node and a tree insert per request, issue 20
// eighth session).
HttpResponse MakeResponse(http::status status, std::string body,
                          std::string_view content_type = "application/json");

// What the HTTP server says it is, first after the status line of every
// answer, unless a handler set a Server field of its own.
inline constexpr std::string_view kServerField = "Server: skiff\r\n";

// Adds `Server: skiff` as the first field of `response` unless it has a
// Server field: the answer's header as SerializeAnswerHeader would write
// it, for the path that serializes the response's own fields.
void WithServerFirst(HttpResponse* response);

// Writes the header section of `response` ("HTTP/1.x NNN Reason\r\n", every
// field in order, "\r\n") into *out, byte for byte what Beast's serializer
// writes before the body; the server sends it and the body in one gather
// write. Returns false, leaving the job to Beast, for anything but an
// HTTP/1.0 or 1.1 response with a Content-Length (call prepare_payload first).
bool SerializeResponseHeader(const HttpResponse& response, std::string* out);

// The header section the server sends for a handler's `response` to a
// request of HTTP `version` (10 or 11): kServerField (unless the response
// has a Server field), the response's own fields, then x-ms-request-id,
// x-request-id, the Connection field `keep_alive` asks for and
// Content-Length. Byte for byte what SerializeResponseHeader writes once
// those are set on the response (WithServerFirst, set(), keep_alive(), prepare_payload()),
// without adding them to it: each added field is a heap node and a tree
// insert, per request (issue 20.5). Returns false, leaving it to that path,
// when the response already has one of those fields or a Transfer-Encoding,
// has a status that carries no body (1xx, 204, 304), or `version` is
// neither 10 nor 11.
bool SerializeAnswerHeader(const HttpResponse& response, unsigned version, bool keep_alive,
                           std::string_view request_id, std::string_view echoed_id,
                           std::string* out);

}  // namespace skiff::dataplane
