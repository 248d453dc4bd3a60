#include "http_transport.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>

#include "url.h"

namespace skiff::compute_aks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

constexpr uint64_t kBodyLimit = 32 * 1024 * 1024;

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
                    const HttpRequest& request, const Url& url, std::chrono::milliseconds timeout) {
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) return InvalidArgument("unknown HTTP method " + request.method);
  http::request<http::string_body> req{verb, url.target, 11};
  const bool default_port =
      (url.https() && url.port == "443") || (!url.https() && url.port == "80");
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  req.set(http::field::host, default_port ? host : host + ":" + url.port);
  req.set(http::field::user_agent, "skiff-compute-aks/0.1");
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  tcp.expires_after(timeout);
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
                                std::chrono::milliseconds timeout) {
  SKIFF_RETURN_IF_ERROR(WriteRequest(ioc, stream, tcp, request, url, timeout));
  const std::string where = request.method + " " + url.Origin();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  tcp.expires_after(timeout);
  error_code ec =
      RunStep(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
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
                                      std::chrono::milliseconds timeout,
                                      const HttpTransport::DataCallback& on_data) {
  SKIFF_RETURN_IF_ERROR(WriteRequest(ioc, stream, tcp, request, url, timeout));
  const std::string where = request.method + " " + url.Origin();
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // a watch has no end; each piece is bounded below
  tcp.expires_after(timeout);
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
    tcp.expires_after(timeout);
    // read_some: hand over what has arrived instead of waiting for `piece` to fill.
    ec =
        RunStep(ioc, [&](auto handler) { http::async_read_some(stream, buffer, parser, handler); });
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Aborted(where + ": reading the response failed: " + ec.message());
    const size_t n = sizeof(piece) - parser.get().body().size;
    if (n == 0) continue;
    if (!streamed) {
      if (out.body.size() + n > kBodyLimit) return Aborted(where + ": response body too large");
      out.body.append(piece, n);
    } else if (!on_data(std::string_view(piece, n))) {
      break;
    }
  }
  return out;
}

class BeastTransport final : public HttpTransport {
 public:
  explicit BeastTransport(BeastTransportOptions options) : options_(std::move(options)) {}

  StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    return Guarded(
        request, [&](asio::io_context& ioc, auto& stream, beast::tcp_stream& tcp, const Url& url) {
          return Exchange(ioc, stream, tcp, request, url, options_.timeout);
        });
  }

  StatusOr<HttpResponse> Stream(const HttpRequest& request, const DataCallback& on_data) override {
    return Guarded(
        request, [&](asio::io_context& ioc, auto& stream, beast::tcp_stream& tcp, const Url& url) {
          return StreamExchange(ioc, stream, tcp, request, url, options_.timeout, on_data);
        });
  }

 private:
  template <typename F>
  StatusOr<HttpResponse> Guarded(const HttpRequest& request, F exchange) {
    try {
      return Connected(request, exchange);
    } catch (const std::exception& e) {
      return Unavailable(request.method + " request failed: " + e.what());
    }
  }

  Status ConfigureTls(asio::ssl::context& ctx) {
    error_code ec;
    std::string source;
    if (!options_.ca_pem.empty()) {
      ctx.add_certificate_authority(asio::buffer(options_.ca_pem), ec);
      source = " (CA data in memory)";
    } else if (options_.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
      source = " (system store)";
    } else {
      ctx.load_verify_file(options_.ca_file, ec);
      source = " from SKIFF_CA_FILE " + options_.ca_file;
    }
    if (ec) return FailedPrecondition("cannot load CA certificates" + source + ": " + ec.message());
    if (!options_.client_cert_pem.empty()) {
      ctx.use_certificate_chain(asio::buffer(options_.client_cert_pem), ec);
      if (ec) return FailedPrecondition("cannot load the client certificate: " + ec.message());
      ctx.use_private_key(asio::buffer(options_.client_key_pem), asio::ssl::context::pem, ec);
      if (ec) return FailedPrecondition("cannot load the client key: " + ec.message());
    }
    ctx.set_verify_mode(options_.insecure_skip_verify ? asio::ssl::verify_none
                                                      : asio::ssl::verify_peer);
    return OkStatus();
  }

  template <typename F>
  StatusOr<HttpResponse> Connected(const HttpRequest& request, F& exchange) {
    auto parsed = ParseUrl(request.url);
    if (!parsed.ok()) return FailedPrecondition(parsed.status().message());
    const Url& url = *parsed;
    Status allowed = CheckTransportAllowed(url, request.method + " " + url.Origin());
    if (!allowed.ok()) return FailedPrecondition(allowed.message());
    const std::string where = request.method + " " + url.Origin();

    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return Unavailable(where + ": cannot resolve host: " + ec.message());
    beast::tcp_stream tcp(ioc);
    tcp.expires_after(options_.timeout);
    ec = RunStep(ioc, [&](auto handler) { tcp.async_connect(endpoints, handler); });
    if (ec) return Unavailable(where + ": cannot connect: " + ec.message());
    if (!url.https()) return exchange(ioc, tcp, tcp, url);

    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    SKIFF_RETURN_IF_ERROR(ConfigureTls(ctx));
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), ctx);
    if (!options_.insecure_skip_verify) {
      tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
    }
    if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
      return Unavailable(where + ": cannot set SNI host name");
    }
    beast::get_lowest_layer(tls).expires_after(options_.timeout);
    ec = RunStep(
        ioc, [&](auto handler) { tls.async_handshake(asio::ssl::stream_base::client, handler); });
    if (ec) {
      if (ec.category() == asio::error::get_ssl_category()) {
        return FailedPrecondition(where +
                                  ": TLS handshake failed (certificate not trusted or not "
                                  "for this host? set SKIFF_CA_FILE or the kubeconfig's "
                                  "certificate-authority-data for a private CA): " +
                                  ec.message());
      }
      return Unavailable(where + ": TLS handshake failed: " + ec.message());
    }
    return exchange(ioc, tls, beast::get_lowest_layer(tls), url);
  }

  const BeastTransportOptions options_;
};

}  // namespace

HttpTransport::~HttpTransport() = default;

StatusOr<HttpResponse> HttpTransport::Stream(const HttpRequest& request,
                                             const DataCallback& on_data) {
  StatusOr<HttpResponse> response = Send(request);
  if (response.ok() && response->status >= 200 && response->status < 300) {
    if (!response->body.empty()) on_data(response->body);
    response->body.clear();
  }
  return response;
}

std::shared_ptr<HttpTransport> MakeBeastTransport(BeastTransportOptions options) {
  return std::make_shared<BeastTransport>(std::move(options));
}

}  // namespace skiff::compute_aks
