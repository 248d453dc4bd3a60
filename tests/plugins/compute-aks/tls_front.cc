// SPDX-License-Identifier: Apache-2.0
#include "tls_front.h"

#include <chrono>
#include <utility>

#include "loopback_relay.h"

namespace skiff::compute_aks::testing {
namespace {

test_support::LoopbackOptions TlsOptions(const TestPki& pki) {
  test_support::LoopbackOptions options;
  options.tls = test_support::LoopbackTls{pki.server_cert_pem, pki.server_key_pem, ""};
  return options;
}

net::HttpClientOptions ForwardOptions() {
  net::HttpClientOptions options;
  options.timeout = std::chrono::seconds(10);
  return options;
}

}  // namespace

TlsFront::TlsFront(const TestPki& pki, uint16_t backend_port)
    : backend_("http://127.0.0.1:" + std::to_string(backend_port)),
      client_(ForwardOptions()),
      server_([this](const test_support::LoopbackRequest& r) { return Forward(r); },
              TlsOptions(pki)) {}

test_support::LoopbackResponse TlsFront::Forward(const test_support::LoopbackRequest& r) const {
  auto reply = test_support::RelayTo(client_, backend_, r);
  if (!reply.ok()) return test_support::LoopbackResponse::Raw("");  // the backend dropped it
  return std::move(*reply);
}

}  // namespace skiff::compute_aks::testing
