#include "skiff/net/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>

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

template <typename Stream>
Status WriteRequest(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                    const HttpRequest& request, const Url& url, const HttpClientOptions& options) {
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) return InvalidArgument("unknown HTTP method " + request.method);
  http::request<http::string_body> req{verb, url.target, 11};
  const bool default_port =
      (url.https() && url.port == "443") || (!url.https() && url.port == "80");
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  req.set(http::field::host, default_port ? host : host + ":" + url.port);
  req.set(http::field::user_agent, options.user_agent);
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  tcp.expires_after(options.timeout);
  error_code ec = RunStep(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
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

template <typename Stream>
StatusOr<HttpResponse> Exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                                const HttpRequest& request, const Url& url,
                                const HttpClientOptions& options) {
  SKIFF_RETURN_IF_ERROR(WriteRequest(ioc, stream, tcp, request, url, options));
  const std::string where = request.method + " " + url.Origin();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  // A HEAD answer declares the length of a body it never sends (a registry's
  // blob size), so there is nothing to read or bound after the header.
  const bool head = http::string_to_verb(request.method) == http::verb::head;
  if (head) parser.skip(true);
  tcp.expires_after(options.timeout);
  error_code ec =
      RunStep(ioc, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
  // Checked here as well as by the parser: a declared length over the bound
  // fails before any body is buffered.
  const auto declared = parser.content_length();
  if (!ec && !head && declared && *declared > options.max_body_bytes) ec = http::error::body_limit;
  if (!ec) {
    tcp.expires_after(options.timeout);
    ec = RunStep(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  }
  if (!ec && parser.get().body().size() > options.max_body_bytes) ec = http::error::body_limit;
  if (ec) return Aborted(where + ": reading the response failed: " + ec.message());
  const auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  CopyHeaders(res, out);
  out.body = res.body();
  return out;
}

// As Exchange, but a 2xx body goes to `on_data` as it arrives.
template <typename Stream>
StatusOr<HttpResponse> StreamExchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                                      const HttpRequest& request, const Url& url,
                                      const HttpClientOptions& options,
                                      const HttpClient::DataCallback& on_data) {
  SKIFF_RETURN_IF_ERROR(WriteRequest(ioc, stream, tcp, request, url, options));
  const std::string where = request.method + " " + url.Origin();
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // a watch has no end; each piece is bounded below
  tcp.expires_after(options.timeout);
  error_code ec =
      RunStep(ioc, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
  if (ec) return Aborted(where + ": reading the response failed: " + ec.message());
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  CopyHeaders(parser.get(), out);
  const bool streamed = out.status >= 200 && out.status < 300;
  char piece[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof(piece);
    tcp.expires_after(options.timeout);
    // read_some: hand over what has arrived instead of waiting for `piece` to fill.
    ec =
        RunStep(ioc, [&](auto handler) { http::async_read_some(stream, buffer, parser, handler); });
    if (ec == http::error::need_buffer) ec = {};
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
template <typename F>
StatusOr<HttpResponse> Connected(const HttpClientOptions& options, const HttpRequest& request,
                                 F& exchange) {
  auto parsed = ParseUrl(request.url);
  if (!parsed.ok()) return FailedPrecondition(parsed.status().message());
  const Url& url = *parsed;
  if (!options.allow_plain_http_to_any_host) {
    Status allowed = CheckTransportAllowed(url, request.method + " " + url.Origin());
    if (!allowed.ok()) return FailedPrecondition(allowed.message());
  }
  const std::string where = request.method + " " + url.Origin();

  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  error_code ec;
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return Unavailable(where + ": cannot resolve host: " + ec.message());
  beast::tcp_stream tcp(ioc);
  tcp.expires_after(options.timeout);
  ec = RunStep(ioc, [&](auto handler) { tcp.async_connect(endpoints, handler); });
  if (ec) return Unavailable(where + ": cannot connect: " + ec.message());
  if (!url.https()) return exchange(ioc, tcp, tcp, url);

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
  beast::get_lowest_layer(tls).expires_after(options.timeout);
  ec = RunStep(ioc,
               [&](auto handler) { tls.async_handshake(asio::ssl::stream_base::client, handler); });
  if (ec) {
    if (ec.category() == asio::error::get_ssl_category()) {
      return FailedPrecondition(where +
                                ": TLS handshake failed (certificate not trusted or not "
                                "for this host? for a private CA set SKIFF_CA_FILE, or the "
                                "kubeconfig's certificate-authority-data): " +
                                ec.message());
    }
    return Unavailable(where + ": TLS handshake failed: " + ec.message());
  }
  return exchange(ioc, tls, beast::get_lowest_layer(tls), url);
}

template <typename F>
StatusOr<HttpResponse> Guarded(const HttpClientOptions& options, const HttpRequest& request,
                               F exchange) {
  try {
    return Connected(options, request, exchange);
  } catch (const std::exception& e) {
    return Unavailable(request.method + " request failed: " + e.what());
  }
}

}  // namespace

StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) const {
  return Guarded(options_, request,
                 [&](asio::io_context& ioc, auto& stream, beast::tcp_stream& tcp, const Url& url) {
                   return Exchange(ioc, stream, tcp, request, url, options_);
                 });
}

StatusOr<HttpResponse> HttpClient::Stream(const HttpRequest& request,
                                          const DataCallback& on_data) const {
  return Guarded(options_, request,
                 [&](asio::io_context& ioc, auto& stream, beast::tcp_stream& tcp, const Url& url) {
                   return StreamExchange(ioc, stream, tcp, request, url, options_, on_data);
                 });
}

}  // namespace skiff::net
