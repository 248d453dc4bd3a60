// TlsFront: a loopback HTTPS front for the fake servers (FakeArm), so the
// plugin's real Beast/OpenSSL client path is exercised end to end: it
// terminates TLS with TestPki's server certificate, forwards each request to
// the plain-HTTP backend and relays the reply (one exchange per connection,
// as the client sends `Connection: close`).
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <string>
#include <thread>

#include "test_pki.h"

namespace skiff::compute_aks::testing {

class TlsFront {
 public:
  TlsFront(const TestPki& pki, uint16_t backend_port);
  ~TlsFront();
  std::string url() const;  // https://127.0.0.1:<port>
  // Waits (up to 5 s) until every accepted connection's handshake has been
  // counted: the front counts just after the client learns the outcome.
  void WaitSettled() const;
  int handshakes_ok() const { return handshakes_ok_; }
  int handshakes_failed() const { return handshakes_failed_; }

 private:
  void Serve();
  void Handle(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0, backend_port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0}, handshakes_ok_{0}, handshakes_failed_{0};
  std::thread thread_;
};

}  // namespace skiff::compute_aks::testing
