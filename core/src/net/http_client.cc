// SPDX-License-Identifier: Apache-2.0
#include "skiff/net/http_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "skiff/util/url.h"

namespace skiff::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// Runs one asynchronous step to completion, so beast::tcp_stream's
// per-operation timeout applies to otherwise blocking code.
template <typename Start>
error_code RunStep(asio::io_context& ioc, Start start) {
  error_code result = asio::error::would_block;
  start([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

// As RunStep, for a stream that may stay quiet: every `tick` without
// completion asks `keep_going`; false cancels the step (operation_aborted)
// so that the caller's stop does not wait for data or a timeout.
template <typename Start>
error_code RunTickingStep(asio::io_context& ioc, beast::tcp_stream& tcp,
                          std::chrono::milliseconds tick, const std::function<bool()>& keep_going,
                          Start start) {
  error_code result = asio::error::would_block;
  start([&result](error_code ec, auto&&...) { result = ec; });
  for (;;) {
    ioc.restart();
    ioc.run_for(tick);
    if (result != asio::error::would_block) return result;
    if (!keep_going()) {
      tcp.cancel();
      ioc.restart();
      ioc.run();  // the cancelled step's handler
      return asio::error::operation_aborted;
    }
  }
}

// Arms the stream's timer for the next step: `timeout` from now, or the
// exchange's one deadline (HttpClientOptions::timeout_covers_exchange).
class StepTimer {
 public:
  explicit StepTimer(const HttpClientOptions& options)
      : options_(options), deadline_(std::chrono::steady_clock::now() + options.timeout) {}
  void Arm(beast::tcp_stream& tcp) const {
    if (options_.timeout_covers_exchange) {
      tcp.expires_at(deadline_);
    } else {
      tcp.expires_after(options_.timeout);
    }
  }

 private:
  const HttpClientOptions& options_;
  const std::chrono::steady_clock::time_point deadline_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// The request message both clients send: Host (with the port unless it is
// the scheme's), User-Agent, Connection, the caller's headers, the body.
StatusOr<http::request<http::string_body>> BuildRequest(
    const std::string& method, const std::string& target, const Headers& headers, std::string body,
    const Url& url, const HttpClientOptions& options, bool keep_alive) {
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) return InvalidArgument("unknown HTTP method " + method);
  http::request<http::string_body> req{verb, target, 11};
  const bool default_port =
      (url.https() && url.port == "443") || (!url.https() && url.port == "80");
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  req.set(http::field::host, default_port ? host : host + ":" + url.port);
  req.set(http::field::user_agent, options.user_agent);
  req.set(http::field::connection, keep_alive ? "keep-alive" : "close");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

template <typename Stream>
error_code WriteMessage(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                        const StepTimer& timer, http::request<http::string_body>& req) {
  timer.Arm(tcp);
  return RunStep(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
}

// Reads one whole response into `parser`, refusing a body over the bound.
template <typename Stream>
error_code ReadMessage(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                       const StepTimer& timer, const HttpClientOptions& options,
                       beast::flat_buffer& buffer,
                       http::response_parser<http::string_body>& parser, bool head = false) {
  parser.body_limit(options.max_body_bytes);
  // A HEAD answer declares the length of a body it never sends (a registry's
  // blob size), so there is nothing to read or bound after the header.
  if (head) parser.skip(true);
  timer.Arm(tcp);
  error_code ec =
      RunStep(ioc, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
  // Checked here as well as by the parser: a declared length over the bound
  // fails before any body is buffered.
  const auto declared = parser.content_length();
  if (!ec && !head && declared && *declared > options.max_body_bytes) ec = http::error::body_limit;
  if (!ec) {
    timer.Arm(tcp);
    ec = RunStep(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  }
  if (!ec && parser.get().body().size() > options.max_body_bytes) ec = http::error::body_limit;
  return ec;
}

template <typename Stream>
Status WriteRequest(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                    const StepTimer& timer, const HttpRequest& request, const Url& url,
                    const HttpClientOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(auto req, BuildRequest(request.method, url.target, request.headers,
                                                request.body, url, options, false));
  error_code ec = WriteMessage(ioc, stream, tcp, timer, req);
  if (ec)
    return Aborted(request.method + " " + url.Origin() +
                   ": sending the request failed: " + ec.message());
  return OkStatus();
}

template <typename Fields>
void CopyHeaders(const Fields& fields, HttpResponse& out) {
  for (const auto& field : fields) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
}

HttpResponse ToResponse(http::response_parser<http::string_body>& parser) {
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  CopyHeaders(parser.get(), out);
  out.body = std::move(parser.get().body());
  return out;
}

template <typename Stream>
StatusOr<HttpResponse> Exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                                const StepTimer& timer, const HttpRequest& request, const Url& url,
                                const HttpClientOptions& options) {
  SKIFF_RETURN_IF_ERROR(WriteRequest(ioc, stream, tcp, timer, request, url, options));
  const std::string where = request.method + " " + url.Origin();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  const bool head = http::string_to_verb(request.method) == http::verb::head;
  error_code ec = ReadMessage(ioc, stream, tcp, timer, options, buffer, parser, head);
  if (ec) return Aborted(where + ": reading the response failed: " + ec.message());
  return ToResponse(parser);
}

// As Exchange, but a 2xx body goes to `on_data` as it arrives.
template <typename Stream>
StatusOr<HttpResponse> StreamExchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                                      const StepTimer& timer, const HttpRequest& request,
                                      const Url& url, const HttpClientOptions& options,
                                      const HttpClient::DataCallback& on_data,
                                      const StreamOptions& stream_options) {
  SKIFF_RETURN_IF_ERROR(WriteRequest(ioc, stream, tcp, timer, request, url, options));
  const std::string where = request.method + " " + url.Origin();
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // a watch has no end; each piece is bounded below
  const auto tick = stream_options.idle_tick;
  const auto idle_limit = stream_options.read_idle_limit;
  bool stopped = false;  // the caller said stop on a tick
  const std::function<bool()> keep_going = [&] {
    stopped = !on_data(std::string_view());
    return !stopped;
  };
  // One read step: plain, or ticking while it waits (StreamOptions).
  const auto run = [&](auto start) {
    return tick.count() > 0 ? RunTickingStep(ioc, tcp, tick, keep_going, start)
                            : RunStep(ioc, start);
  };
  timer.Arm(tcp);
  error_code ec =
      run([&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
  if (stopped) return Status(StatusCode::kCancelled, where + ": stopped before the response came");
  if (ec) return Aborted(where + ": reading the response failed: " + ec.message());
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  CopyHeaders(parser.get(), out);
  const bool streamed = out.status >= 200 && out.status < 300;
  char piece[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof(piece);
    if (idle_limit.count() > 0) {
      // Re-armed per read, and a read completes with whatever arrived: the
      // limit counts from the last byte.
      tcp.expires_after(idle_limit);
    } else if (tick.count() > 0) {
      tcp.expires_never();  // the ticks let the caller decide how long is too quiet
    } else {
      timer.Arm(tcp);
    }
    // read_some: hand over what has arrived instead of waiting for `piece` to fill.
    ec = run([&](auto handler) { http::async_read_some(stream, buffer, parser, handler); });
    if (stopped) break;  // not an error: the caller ended it
    if (ec == http::error::need_buffer) ec = {};
    if (ec == beast::error::timeout && idle_limit.count() > 0) {
      return DeadlineExceeded(where + ": nothing received for " +
                              std::to_string(idle_limit.count()) +
                              " ms (StreamOptions::read_idle_limit); the connection may be "
                              "stalled: open the stream again");
    }
    if (ec) return Aborted(where + ": reading the response failed: " + ec.message());
    const size_t n = sizeof(piece) - parser.get().body().size;
    if (n == 0) continue;
    if (!streamed) {
      if (out.body.size() + n > options.max_body_bytes)
        return Aborted(where + ": response body too large");
      out.body.append(piece, n);
    } else if (!on_data(std::string_view(piece, n))) {
      break;
    }
  }
  return out;
}

// Resolves and connects `tcp` (kUnavailable: nothing was sent).
Status Connect(asio::io_context& ioc, beast::tcp_stream& tcp, const StepTimer& timer,
               const Url& url, const std::string& where) {
  asio::ip::tcp::resolver resolver(ioc);
  error_code ec;
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return Unavailable(where + ": cannot resolve host: " + ec.message());
  timer.Arm(tcp);
  ec = RunStep(ioc, [&](auto handler) { tcp.async_connect(endpoints, handler); });
  if (ec) return Unavailable(where + ": cannot connect: " + ec.message());
  return OkStatus();
}

// Turns on TCP keepalive as `keepalive` says (StreamOptions::Keepalive).
Status SetKeepalive(beast::tcp_stream& tcp, const StreamOptions::Keepalive& keepalive,
                    const std::string& where) {
  error_code ec;
  tcp.socket().set_option(asio::socket_base::keep_alive(keepalive.enabled), ec);
  if (ec) return Unavailable(where + ": cannot set SO_KEEPALIVE: " + ec.message());
  if (!keepalive.enabled) return OkStatus();
  const int fd = tcp.socket().native_handle();
  const struct {
    int name;
    const char* what;
    int value;
  } options[] = {
      {TCP_KEEPIDLE, "TCP_KEEPIDLE", static_cast<int>(keepalive.idle.count())},
      {TCP_KEEPINTVL, "TCP_KEEPINTVL", static_cast<int>(keepalive.interval.count())},
      {TCP_KEEPCNT, "TCP_KEEPCNT", keepalive.probes},
  };
  for (const auto& o : options) {
    if (setsockopt(fd, IPPROTO_TCP, o.name, &o.value, sizeof(o.value)) != 0) {
      return Unavailable(where + ": cannot set " + o.what + "=" + std::to_string(o.value) + ": " +
                         std::strerror(errno) +
                         " (StreamOptions::keepalive: idle and interval 1..32767 s, probes "
                         "1..127)");
    }
  }
  return OkStatus();
}

Status ConfigureTls(const HttpClientOptions& options, asio::ssl::context& ctx) {
  error_code ec;
  std::string source;
  if (!options.ca_pem.empty()) {
    ctx.add_certificate_authority(asio::buffer(options.ca_pem), ec);
    source = " (CA data in memory)";
  } else if (options.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    source = " (system store)";
  } else {
    ctx.load_verify_file(options.ca_file, ec);
    source = " from SKIFF_CA_FILE " + options.ca_file;
  }
  if (ec) return FailedPrecondition("cannot load CA certificates" + source + ": " + ec.message());
  if (!options.extra_ca_file.empty()) {
    ctx.load_verify_file(options.extra_ca_file, ec);
    if (ec) {
      return FailedPrecondition("cannot load CA certificates from SKIFF_CA_FILE " +
                                options.extra_ca_file + ": " + ec.message() +
                                "; give a PEM file of CA certificates");
    }
  }
  if (!options.client_cert_pem.empty()) {
    ctx.use_certificate_chain(asio::buffer(options.client_cert_pem), ec);
    if (ec) return FailedPrecondition("cannot load the client certificate: " + ec.message());
    ctx.use_private_key(asio::buffer(options.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) return FailedPrecondition("cannot load the client key: " + ec.message());
  }
  ctx.set_verify_mode(options.insecure_skip_verify ? asio::ssl::verify_none
                                                   : asio::ssl::verify_peer);
  return OkStatus();
}

// Connects (and for https shakes hands), then runs `exchange` on the stream.
// `keepalive`: nullptr leaves the socket's default (off).
template <typename F>
StatusOr<HttpResponse> Connected(const HttpClientOptions& options, const HttpRequest& request,
                                 const StreamOptions::Keepalive* keepalive, F& exchange) {
  auto parsed = ParseUrl(request.url);
  if (!parsed.ok()) return FailedPrecondition(parsed.status().message());
  const Url& url = *parsed;
  if (!options.allow_plain_http_to_any_host) {
    Status allowed = CheckTransportAllowed(url, request.method + " " + url.Origin());
    if (!allowed.ok()) return FailedPrecondition(allowed.message());
  }
  const std::string where = request.method + " " + url.Origin();

  const StepTimer timer(options);
  asio::io_context ioc;
  beast::tcp_stream tcp(ioc);
  SKIFF_RETURN_IF_ERROR(Connect(ioc, tcp, timer, url, where));
  if (keepalive != nullptr) SKIFF_RETURN_IF_ERROR(SetKeepalive(tcp, *keepalive, where));
  if (!url.https()) return exchange(ioc, tcp, tcp, timer, url);

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  SKIFF_RETURN_IF_ERROR(ConfigureTls(options, ctx));
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), ctx);
  if (!options.insecure_skip_verify) {
    tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
  }
  if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
    return Unavailable(where + ": cannot set SNI host name");
  }
  timer.Arm(beast::get_lowest_layer(tls));
  error_code ec = RunStep(
      ioc, [&](auto handler) { tls.async_handshake(asio::ssl::stream_base::client, handler); });
  if (ec) {
    if (ec.category() == asio::error::get_ssl_category()) {
      // What the verification found, when it found something (an unknown
      // CA, an expired certificate); host-name mismatches show in ec.
      const long verify = SSL_get_verify_result(tls.native_handle());
      const std::string found =
          verify == X509_V_OK ? "" : std::string(X509_verify_cert_error_string(verify)) + "; ";
      return FailedPrecondition(where + ": TLS handshake failed: " + found + ec.message() +
                                " (certificate not trusted or not for this host? for a "
                                "private CA set SKIFF_CA_FILE to its PEM file, or the "
                                "kubeconfig's certificate-authority-data)");
    }
    return Unavailable(where + ": TLS handshake failed: " + ec.message());
  }
  return exchange(ioc, tls, beast::get_lowest_layer(tls), timer, url);
}

template <typename F>
StatusOr<HttpResponse> Guarded(const HttpClientOptions& options, const HttpRequest& request,
                               const StreamOptions::Keepalive* keepalive, F exchange) {
  try {
    return Connected(options, request, keepalive, exchange);
  } catch (const std::exception& e) {
    return Unavailable(request.method + " request failed: " + e.what());
  }
}

}  // namespace

StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) const {
  return Guarded(
      options_, request, nullptr,
      [&](asio::io_context& ioc, auto& stream, beast::tcp_stream& tcp, const StepTimer& timer,
          const Url& url) { return Exchange(ioc, stream, tcp, timer, request, url, options_); });
}

StatusOr<HttpResponse> HttpClient::Stream(const HttpRequest& request, const DataCallback& on_data,
                                          const StreamOptions& stream) const {
  return Guarded(options_, request, &stream.keepalive,
                 [&](asio::io_context& ioc, auto& s, beast::tcp_stream& tcp, const StepTimer& timer,
                     const Url& url) {
                   return StreamExchange(ioc, s, tcp, timer, request, url, options_, on_data,
                                         stream);
                 });
}

// ---- HttpConnection ------------------------------------------------------------

struct HttpConnection::Impl {
  explicit Impl(Url u) : url(std::move(u)), tcp(ioc) {}
  const Url url;
  asio::io_context ioc;
  beast::tcp_stream tcp;
  beast::flat_buffer buffer;  // bytes read past a response stay for the next
  bool connected = false;

  void Close() {
    error_code ignored;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp.close();
    buffer.clear();
    connected = false;
  }
};

HttpConnection::HttpConnection(HttpClientOptions options, std::unique_ptr<Impl> impl,
                               std::string origin)
    : options_(std::move(options)), impl_(std::move(impl)), origin_(std::move(origin)) {}

HttpConnection::~HttpConnection() {
  if (impl_->connected) impl_->Close();
}

StatusOr<std::unique_ptr<HttpConnection>> HttpConnection::Open(const std::string& url,
                                                               HttpClientOptions options) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return FailedPrecondition(parsed.status().message());
  if (parsed->https()) {
    return FailedPrecondition(url + ": a kept-alive connection speaks plain http only; use " +
                              "HttpClient for https");
  }
  if (!options.allow_plain_http_to_any_host) {
    Status allowed = CheckTransportAllowed(*parsed, url);
    if (!allowed.ok()) return FailedPrecondition(allowed.message());
  }
  std::string origin = parsed->Origin();
  auto impl = std::make_unique<Impl>(std::move(parsed).value());
  return std::unique_ptr<HttpConnection>(
      new HttpConnection(std::move(options), std::move(impl), std::move(origin)));
}

StatusOr<HttpResponse> HttpConnection::Send(const std::string& method, const std::string& target,
                                            const Headers& headers, std::string body) {
  Impl& c = *impl_;
  const std::string where = method + " " + origin_;
  SKIFF_ASSIGN_OR_RETURN(
      auto req, BuildRequest(method, target, headers, std::move(body), c.url, options_, true));
  // A HEAD answer has no body to wait for, whatever length it declares.
  const bool head = http::string_to_verb(method) == http::verb::head;
  try {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const StepTimer timer(options_);
      const bool reused = c.connected;
      if (!reused) {
        SKIFF_RETURN_IF_ERROR(Connect(c.ioc, c.tcp, timer, c.url, where));
        c.connected = true;
      }
      http::response_parser<http::string_body> parser;
      error_code ec = WriteMessage(c.ioc, c.tcp, c.tcp, timer, req);
      if (!ec) ec = ReadMessage(c.ioc, c.tcp, c.tcp, timer, options_, c.buffer, parser, head);
      if (ec) {
        c.Close();
        if (ec == beast::error::timeout) {
          return DeadlineExceeded(where + ": no answer within " +
                                  std::to_string(options_.timeout.count()) + " ms");
        }
        // A kept-alive connection the peer closed while idle fails at once
        // (EOF, reset) before any answer: send again on a fresh one. The same
        // on a fresh connection is the peer's doing, and final.
        if (reused) continue;
        return Aborted(where + ": " + ec.message());
      }
      const bool keep = parser.get().keep_alive();
      HttpResponse out = ToResponse(parser);
      if (!keep) c.Close();
      return out;
    }
  } catch (const std::exception& e) {
    c.Close();
    return Aborted(where + ": " + e.what());
  }
  return Aborted(where + ": the connection keeps closing");
}

}  // namespace skiff::net
