// SPDX-License-Identifier: Apache-2.0
// TestPki: a throw-away certificate authority made at test time with the
// OpenSSL APIs (P-256 keys, one day of validity): a server certificate
// (subjectAltName `server_san`, by default 127.0.0.1 / localhost) and a
// client certificate (CN skiff-test-user, O system:masters), all PEM. Used
// by the ARM TLS tests (TlsFront) and the Kubernetes client's (FakeKubeApi).
#pragma once

#include <string>

namespace skiff::compute_aks::testing {

struct TestPki {
  std::string ca_cert_pem, ca_key_pem;
  std::string server_cert_pem, server_key_pem;
  std::string client_cert_pem, client_key_pem;
};

// `server_san`: e.g. "IP:127.0.0.1", or "DNS:management.example.org" for a
// certificate that names another host. Throws std::runtime_error if OpenSSL
// fails.
TestPki MakeTestPki(const std::string& ca_name = "skiff-test-ca",
                    const std::string& server_san = "IP:127.0.0.1,DNS:localhost");

// Writes `pem` to `path` (for clients that take a CA file); returns `path`.
std::string WritePemFile(const std::string& path, const std::string& pem);

}  // namespace skiff::compute_aks::testing

// The Kubernetes client tests name these from their own testing namespace.
namespace skiff::compute_aks::kube::testing {
using compute_aks::testing::MakeTestPki;
using compute_aks::testing::TestPki;
}  // namespace skiff::compute_aks::kube::testing
