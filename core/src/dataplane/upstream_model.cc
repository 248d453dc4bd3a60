#include "skiff/dataplane/upstream_model.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"

namespace skiff::dataplane {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using nlohmann::json;

struct ParsedUrl {
  std::string host, port, target;
};

std::optional<ParsedUrl> Parse(const std::string& url) {
  static const std::regex re(
      R"(^http://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?(/[^\s#]*)$)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) return std::nullopt;
  ParsedUrl p{m[1], m[2].matched ? std::string(m[2]) : "80", m[3]};
  if (p.host.front() == '[') p.host = p.host.substr(1, p.host.size() - 2);
  if (std::stoi(p.port) < 1 || std::stoi(p.port) > 65535) return std::nullopt;
  return p;
}

template <typename Start>
error_code RunStep(asio::io_context& ioc, Start start) {
  error_code result = asio::error::would_block;
  start([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

class UpstreamModel final : public LoadedModel {
 public:
  UpstreamModel(UpstreamOptions options, ParsedUrl url)
      : options_(std::move(options)), url_(std::move(url)), stream_(ioc_) {}

  const Signature& signature() const override { return options_.signature; }

  // The versions start independently of the router: a version not up yet is
  // not an error here (requests get 502 until it is), so there is nothing
  // to warm.
  Status Warmup() override { return OkStatus(); }

  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override {
    SKIFF_ASSIGN_OR_RETURN(auto reply, Exchange(protocol::EncodeInferRequest(inputs)));
    const auto& [status, text] = reply;
    if (status != 200) return MapStatus(status, text);
    auto decoded = protocol::DecodeInferResponse(text, options_.signature);
    if (!decoded.ok()) {
      return Internal("upstream " + options_.url + " answered outputs that do not match the " +
                      "signature: " + decoded.status().message());
    }
    return std::move(decoded->outputs);
  }

 private:
  Status MapStatus(int status, const std::string& text) const {
    std::string detail = text;
    json j = json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) detail = j["error"];
    if (detail.size() > 512) detail.resize(512);
    const std::string message =
        "upstream " + options_.url + " answered " + std::to_string(status) + ": " + detail;
    if (status == 400) return InvalidArgument(message);
    if (status == 429 || status == 503) return Unavailable(message);
    if (status == 504) return DeadlineExceeded(message);
    return Internal(message);
  }

  Status Connect() {
    asio::ip::tcp::resolver resolver(ioc_);
    error_code ec;
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) return Internal("upstream " + options_.url + ": cannot resolve: " + ec.message());
    stream_.expires_after(options_.timeout);
    ec = RunStep(ioc_, [&](auto handler) { stream_.async_connect(endpoints, handler); });
    if (ec) return Internal("upstream " + options_.url + ": cannot connect: " + ec.message());
    connected_ = true;
    return OkStatus();
  }

  void Close() {
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
  }

  // One request/response on the kept-alive connection; a connection the
  // upstream closed meanwhile is re-opened once (nothing was scored on it).
  StatusOr<std::pair<int, std::string>> Exchange(const std::string& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = connected_;
      if (!connected_) SKIFF_RETURN_IF_ERROR(Connect());
      http::request<http::string_body> req{http::verb::post, url_.target, 11};
      req.set(http::field::host, url_.host + ":" + url_.port);
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      stream_.expires_after(options_.timeout);
      error_code ec =
          RunStep(ioc_, [&](auto handler) { http::async_write(stream_, req, handler); });
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{256} << 20);
      if (!ec) {
        stream_.expires_after(options_.timeout);
        ec = RunStep(ioc_,
                     [&](auto handler) { http::async_read(stream_, buffer, parser, handler); });
      }
      if (ec) {
        Close();
        // A stale keep-alive connection fails at once with EOF/reset: retry
        // on a fresh one. A timeout or a fresh connection failing is final.
        if (ec == beast::error::timeout) {
          return DeadlineExceeded("upstream " + options_.url + " did not answer in time");
        }
        if (reused) continue;
        return Internal("upstream " + options_.url + ": " + ec.message());
      }
      auto res = parser.release();
      if (!res.keep_alive()) Close();
      return std::make_pair(static_cast<int>(res.result_int()), std::move(res.body()));
    }
    return Internal("upstream " + options_.url + ": the connection keeps closing");
  }

  const UpstreamOptions options_;
  const ParsedUrl url_;
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  bool connected_ = false;
};

}  // namespace

Status ValidateUpstreamUrl(const std::string& url) {
  if (!Parse(url)) {
    return InvalidArgument("upstream '" + url +
                           "' must be http://HOST[:PORT]/PATH, e.g. "
                           "http://svc-blue.ns.svc.cluster.local:5001/v2/models/svc/infer");
  }
  return OkStatus();
}

Status ProbeUpstreamReady(const std::string& infer_url, std::chrono::milliseconds timeout) {
  auto url = Parse(infer_url);
  if (!url) return ValidateUpstreamUrl(infer_url);
  const std::string what = "upstream " + url->host + ":" + url->port + " /v2/health/ready";
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  error_code ec;
  auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) return Unavailable(what + ": cannot resolve: " + ec.message());
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);  // one deadline for the whole exchange
  ec = RunStep(ioc, [&](auto handler) { stream.async_connect(endpoints, handler); });
  if (ec) return Unavailable(what + ": cannot connect: " + ec.message());
  http::request<http::empty_body> req{http::verb::get, "/v2/health/ready", 11};
  req.set(http::field::host, url->host + ":" + url->port);
  req.keep_alive(false);
  ec = RunStep(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  if (!ec) ec = RunStep(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  if (ec == beast::error::timeout) return Unavailable(what + ": no answer in time");
  if (ec) return Unavailable(what + ": " + ec.message());
  const int status = static_cast<int>(parser.get().result_int());
  if (status != 200) return Unavailable(what + " answered " + std::to_string(status));
  return OkStatus();
}

StatusOr<std::unique_ptr<LoadedModel>> MakeUpstreamModel(UpstreamOptions options) {
  auto url = Parse(options.url);
  if (!url) return ValidateUpstreamUrl(options.url);
  return std::unique_ptr<LoadedModel>(new UpstreamModel(std::move(options), std::move(*url)));
}

}  // namespace skiff::dataplane
