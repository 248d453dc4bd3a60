#include "tls_front.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace skiff::compute_aks::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

TlsFront::TlsFront(const TestPki& pki, uint16_t backend_port)
    : ctx_(asio::ssl::context::tls_server),
      acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      backend_port_(backend_port) {
  ctx_.use_certificate_chain(asio::buffer(pki.server_cert_pem));
  ctx_.use_private_key(asio::buffer(pki.server_key_pem), asio::ssl::context::pem);
  port_ = acceptor_.local_endpoint().port();
  thread_ = std::thread([this] { Serve(); });
}

TlsFront::~TlsFront() {
  stop_ = true;
  boost::system::error_code ec;
  tcp::socket s(ioc_);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);  // wake accept()
  thread_.join();
}

std::string TlsFront::url() const { return "https://127.0.0.1:" + std::to_string(port_); }

void TlsFront::WaitSettled() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (handshakes_ok_ + handshakes_failed_ < accepted_ &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void TlsFront::Serve() {
  while (!stop_) {
    tcp::socket socket(ioc_);
    boost::system::error_code ec;
    acceptor_.accept(socket, ec);
    if (ec || stop_) continue;
    ++accepted_;
    Handle(std::move(socket));
  }
}

void TlsFront::Handle(tcp::socket socket) {
  boost::system::error_code ec;
  asio::ssl::stream<tcp::socket> tls(std::move(socket), ctx_);
  tls.handshake(asio::ssl::stream_base::server, ec);
  if (ec) {
    ++handshakes_failed_;
    return;
  }
  ++handshakes_ok_;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::read(tls, buffer, req, ec);
  if (ec) return;
  tcp::socket backend(ioc_);
  backend.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), backend_port_), ec);
  if (ec) return;
  http::write(backend, req, ec);
  if (ec) return;
  beast::flat_buffer backend_buffer;
  http::response<http::string_body> res;
  http::read(backend, backend_buffer, res, ec);
  if (ec) return;  // the backend dropped it: so does the front
  http::write(tls, res, ec);
  tls.shutdown(ec);
}

}  // namespace skiff::compute_aks::testing
