// SPDX-License-Identifier: Apache-2.0
#include "loopback_http_server.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <sstream>
#include <stdexcept>

namespace skiff::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

struct LoopbackHttpServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::optional<asio::ssl::context> tls;
};

struct LoopbackHttpServer::Connection {
  explicit Connection(asio::io_context& ioc) : socket(ioc) {}
  tcp::socket socket;
};

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <typename Stream>
bool WriteAll(Stream& stream, std::string_view bytes) {
  error_code ec;
  asio::write(stream, asio::buffer(bytes.data(), bytes.size()), ec);
  return !ec;
}

template <typename Stream>
void WriteStreamed(Stream& stream, const LoopbackResponse& response) {
  std::ostringstream head;
  head << "HTTP/1.1 " << response.status << " "
       << http::obsolete_reason(static_cast<http::status>(response.status)) << "\r\n";
  for (const auto& [k, v] : response.headers) head << k << ": " << v << "\r\n";
  head << "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  if (!WriteAll(stream, head.str())) return;
  bool open = true;
  response.stream([&](std::string_view chunk) {
    if (!open || chunk.empty()) return open;
    std::ostringstream framed;
    framed << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
    open = WriteAll(stream, framed.str());
    return open;
  });
  if (open) WriteAll(stream, "0\r\n\r\n");
}

std::string UrlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> ParseFormEncoded(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t amp = text.find('&', start);
    if (amp == std::string::npos) amp = text.size();
    const std::string pair = text.substr(start, amp - start);
    const size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[UrlDecode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : UrlDecode(pair.substr(eq + 1));
    }
    start = amp + 1;
  }
  return out;
}

LoopbackHttpServer::LoopbackHttpServer(LoopbackHandler handler, LoopbackOptions options)
    : handler_(std::move(handler)), options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  if (options_.tls) {
    auto& ctx = impl_->tls.emplace(asio::ssl::context::tls_server);
    ctx.use_certificate_chain(asio::buffer(options_.tls->cert_pem));
    ctx.use_private_key(asio::buffer(options_.tls->key_pem), asio::ssl::context::pem);
    if (!options_.tls->client_ca_pem.empty()) {
      ctx.add_certificate_authority(asio::buffer(options_.tls->client_ca_pem));
      // Ask for a client certificate; a client without one is still served.
      ctx.set_verify_mode(asio::ssl::verify_peer);
    }
  }
  const tcp::endpoint endpoint(asio::ip::make_address(options_.host), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  acceptor_ = std::thread([this] { Accept(); });
}

LoopbackHttpServer::~LoopbackHttpServer() { Stop(); }

void LoopbackHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  // shutdown() wakes the accept() blocked in the acceptor thread.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    connections.swap(connections_);
  }
  for (auto& t : connections) t.join();
  error_code ignored;
  impl_->acceptor.close(ignored);
}

std::string LoopbackHttpServer::url() const {
  const std::string host =
      options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
  return std::string(options_.tls ? "https" : "http") + "://" + host + ":" + std::to_string(port_);
}

std::vector<LoopbackRequest> LoopbackHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int LoopbackHttpServer::Count(const std::string& method, const std::string& contains) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(), [&](const auto& r) {
    return r.method == method && r.target.find(contains) != std::string::npos;
  }));
}

void LoopbackHttpServer::WaitTlsSettled() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (handshakes_ok_ + handshakes_failed_ < accepted_ &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void LoopbackHttpServer::Accept() {
  for (;;) {
    auto connection = std::make_shared<Connection>(impl_->ioc);
    error_code ec;
    impl_->acceptor.accept(connection->socket, ec);
    if (stopping_) return;
    if (ec) continue;
    ++accepted_;
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(connection->socket.native_handle());
    connections_.emplace_back([this, connection] { Serve(connection); });
  }
}

void LoopbackHttpServer::Finished(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
}

void LoopbackHttpServer::Serve(std::shared_ptr<Connection> connection) {
  tcp::socket& socket = connection->socket;
  error_code ec;
  if (!impl_->tls) {
    Exchange(socket, false);
  } else {
    asio::ssl::stream<tcp::socket&> tls(socket, *impl_->tls);
    tls.handshake(asio::ssl::stream_base::server, ec);
    if (ec) {
      ++handshakes_failed_;
    } else {
      ++handshakes_ok_;
      const bool verified = SSL_get0_peer_certificate(tls.native_handle()) != nullptr &&
                            SSL_get_verify_result(tls.native_handle()) == X509_V_OK;
      Exchange(tls, verified);
      tls.shutdown(ec);
    }
  }
  // Forgotten before it closes, so Stop() never shuts a reused descriptor.
  Finished(socket.native_handle());
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

template <typename Stream>
void LoopbackHttpServer::Exchange(Stream& stream, bool client_cert_verified) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_request_body_bytes);
    error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec || stopping_) return;
    const http::request<http::string_body> req = parser.release();
    LoopbackRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.body = req.body();
    for (const auto& f : req)
      r.headers[Lower(std::string(f.name_string()))] = std::string(f.value());
    r.client_cert_verified = client_cert_verified;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(r);
    }
    const LoopbackResponse reply = handler_(r);
    if (reply.raw) {
      WriteAll(stream, *reply.raw);
      return;
    }
    if (reply.stream) {
      WriteStreamed(stream, reply);
      return;
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.keep_alive(req.keep_alive());
    if (req.method() == http::verb::head) {
      if (res.find(http::field::content_length) == res.end()) res.content_length(reply.body.size());
      http::serializer<false, http::string_body> head(res);
      http::write_header(stream, head, ec);
    } else {
      res.body() = reply.body;
      res.prepare_payload();
      http::write(stream, res, ec);
    }
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace skiff::test_support
