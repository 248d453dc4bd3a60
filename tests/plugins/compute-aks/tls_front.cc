#include "tls_front.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace skiff::compute_aks::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

void Run(const std::string& command) {
  const std::string full = command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  std::string out;
  char buf[512];
  while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = p == nullptr ? -1 : ::pclose(p);
  if (rc != 0) {
    std::fprintf(stderr,
                 "TestPki: `%s` failed (is the openssl command installed? "
                 "scripts/deps installs it):\n%s\n",
                 command.c_str(), out.c_str());
    std::abort();
  }
}

}  // namespace

TestPki MakeTestPki(const std::string& dir, const std::string& san) {
  TestPki pki{dir, dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  const std::string q = "'" + dir + "/";
  Run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=skiff test CA' -keyout " + q +
      "ca.key' -out " + q + "ca.pem'");
  Run("openssl req -newkey rsa:2048 -nodes -subj '/CN=skiff test server' -keyout " + q +
      "server.key' -out " + q + "server.csr'");
  Run("printf 'subjectAltName=" + san + "\\nbasicConstraints=CA:FALSE\\n' > " + q + "ext.cnf'");
  Run("openssl x509 -req -days 2 -in " + q + "server.csr' -CA " + q + "ca.pem' -CAkey " + q +
      "ca.key' -CAcreateserial -extfile " + q + "ext.cnf' -out " + q + "server.pem'");
  return pki;
}

TlsFront::TlsFront(const TestPki& pki, uint16_t backend_port)
    : ctx_(asio::ssl::context::tls_server),
      acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      backend_port_(backend_port) {
  ctx_.use_certificate_chain_file(pki.server_pem);
  ctx_.use_private_key_file(pki.server_key, asio::ssl::context::pem);
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
