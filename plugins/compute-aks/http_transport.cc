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
StatusOr<HttpResponse> Exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                                const HttpRequest& request, const Url& url,
                                std::chrono::milliseconds timeout) {
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) return InvalidArgument("unknown HTTP method " + request.method);
  http::request<http::string_body> req{verb, url.target, 11};
  const bool default_port = (url.https() && url.port == "443") || (!url.https() && url.port == "80");
  const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  req.set(http::field::host, default_port ? host : host + ":" + url.port);
  req.set(http::field::user_agent, "skiff-compute-aks/0.1");
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  const std::string where = request.method + " " + url.Origin();
  tcp.expires_after(timeout);
  error_code ec = RunStep(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
  if (ec) return Aborted(where + ": sending the request failed: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  tcp.expires_after(timeout);
  ec = RunStep(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  if (ec) return Aborted(where + ": reading the response failed: " + ec.message());
  const auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = res.body();
  return out;
}

class BeastTransport final : public HttpTransport {
 public:
  explicit BeastTransport(BeastTransportOptions options) : options_(std::move(options)) {}

  StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    try {
      return SendOrThrow(request);
    } catch (const std::exception& e) {
      return Unavailable(request.method + " request failed: " + e.what());
    }
  }

 private:
  StatusOr<HttpResponse> SendOrThrow(const HttpRequest& request) {
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
    if (!url.https()) return Exchange(ioc, tcp, tcp, request, url, options_.timeout);

    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    if (options_.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
    } else {
      ctx.load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      return FailedPrecondition("cannot load CA certificates" +
                                (options_.ca_file.empty() ? std::string(" (system store)")
                                                          : " from SKIFF_CA_FILE " + options_.ca_file) +
                                ": " + ec.message());
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), ctx);
    tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
    if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
      return Unavailable(where + ": cannot set SNI host name");
    }
    beast::get_lowest_layer(tls).expires_after(options_.timeout);
    ec = RunStep(ioc, [&](auto handler) { tls.async_handshake(asio::ssl::stream_base::client, handler); });
    if (ec) {
      if (ec.category() == asio::error::get_ssl_category()) {
        return FailedPrecondition(where + ": TLS handshake failed (certificate not trusted or not "
                                  "for this host? set SKIFF_CA_FILE for a private CA): " +
                                  ec.message());
      }
      return Unavailable(where + ": TLS handshake failed: " + ec.message());
    }
    return Exchange(ioc, tls, beast::get_lowest_layer(tls), request, url, options_.timeout);
  }

  const BeastTransportOptions options_;
};

}  // namespace

HttpTransport::~HttpTransport() = default;

std::shared_ptr<HttpTransport> MakeBeastTransport(BeastTransportOptions options) {
  return std::make_shared<BeastTransport>(std::move(options));
}

}  // namespace skiff::compute_aks
