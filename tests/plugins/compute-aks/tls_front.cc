#include "tls_front.h"

#include <chrono>

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
  net::HttpRequest forward{r.method, backend_ + r.target, {}, r.body};
  for (const auto& [name, value] : r.headers) {
    if (name != "connection" && name != "content-length") forward.headers.emplace_back(name, value);
  }
  auto reply = client_.Send(forward);
  if (!reply.ok()) return test_support::LoopbackResponse::Raw("");  // the backend dropped it
  test_support::LoopbackResponse res;
  res.status = reply->status;
  for (const auto& [name, value] : reply->headers) {
    if (name != "connection" && name != "content-length" && name != "transfer-encoding") {
      res.headers.emplace_back(name, value);
    }
  }
  res.body = std::move(reply->body);
  return res;
}

}  // namespace skiff::compute_aks::testing
