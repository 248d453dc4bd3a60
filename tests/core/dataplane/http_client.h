// SPDX-License-Identifier: Apache-2.0
// A small synchronous HTTP/1.1 client over Beast for tests: keep-alive, an
// optional source address (127.0.0.x) to act as different clients.
#pragma once

#include <map>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace skiff::testing {

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, const std::string& source = "127.0.0.1")
      : port_(port), source_(source), stream_(ioc_) {}

  Reply Send(boost::beast::http::verb verb, const std::string& target, const std::string& body = "",
             const std::map<std::string, std::string>& headers = {}) {
    namespace http = boost::beast::http;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = connected_;
      try {
        Connect();
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "localhost");
        for (const auto& [k, v] : headers) req.set(k, v);
        if (verb == http::verb::post) req.set(http::field::content_type, "application/json");
        req.body() = body;
        req.prepare_payload();
        http::write(stream_, req);
        http::response<http::string_body> res;
        http::read(stream_, buffer_, res);
        Reply r;
        r.status = static_cast<int>(res.result_int());
        for (const auto& f : res) {
          std::string name(f.name_string());
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          r.headers[name] = std::string(f.value());
        }
        r.body = res.body();
        if (!res.keep_alive()) Close();
        return r;
      } catch (const std::exception&) {
        Close();
        // Only a kept-alive connection the server had closed earns a retry.
        if (!reused || attempt == 1) throw;
      }
    }
    return {};
  }
  Reply Get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return Send(boost::beast::http::verb::get, target, "", headers);
  }
  Reply Post(const std::string& target, const std::string& body,
             const std::map<std::string, std::string>& headers = {}) {
    return Send(boost::beast::http::verb::post, target, body, headers);
  }

 private:
  void Connect() {
    if (connected_) return;
    using boost::asio::ip::tcp;
    auto& socket = stream_.socket();
    socket.open(tcp::v4());
    socket.bind(tcp::endpoint(boost::asio::ip::make_address(source_), 0));
    socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
    connected_ = true;
  }
  void Close() {
    boost::beast::error_code ec;
    stream_.socket().close(ec);
    buffer_.clear();
    connected_ = false;
  }

  uint16_t port_;
  std::string source_;
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace skiff::testing
