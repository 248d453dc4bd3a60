// SPDX-License-Identifier: Apache-2.0
// TlsFront: a loopback HTTPS front for the fake servers (FakeArm), so the
// plugin's real Beast/OpenSSL client path is exercised end to end: the shared
// LoopbackHttpServer terminates TLS with TestPki's server certificate, and
// each request is forwarded to the plain-HTTP backend with the one HTTP
// client (skiff/net/http_client.h) and its reply relayed. A backend that
// drops the connection makes the front drop it too.
#pragma once

#include <cstdint>
#include <string>

#include "loopback_http_server.h"
#include "skiff/net/http_client.h"
#include "test_pki.h"

namespace skiff::compute_aks::testing {

class TlsFront {
 public:
  TlsFront(const TestPki& pki, uint16_t backend_port);
  std::string url() const { return server_.url(); }  // https://127.0.0.1:<port>
  // Waits (up to 5 s) until every accepted connection's handshake has been
  // counted: the front counts just after the client learns the outcome.
  void WaitSettled() const { server_.WaitTlsSettled(); }
  int handshakes_ok() const { return server_.handshakes_ok(); }
  int handshakes_failed() const { return server_.handshakes_failed(); }

 private:
  test_support::LoopbackResponse Forward(const test_support::LoopbackRequest& request) const;

  const std::string backend_;  // http://127.0.0.1:<backend port>
  const net::HttpClient client_;
  test_support::LoopbackHttpServer server_;  // last: stopped first
};

}  // namespace skiff::compute_aks::testing
