// TestPki: a throw-away certificate authority made at test time with the
// OpenSSL APIs (P-256 keys, one day of validity): a server certificate for
// 127.0.0.1 / localhost and a client certificate (CN skiff-test-user, O
// system:masters), all PEM.
#pragma once

#include <string>

namespace skiff::compute_aks::kube::testing {

struct TestPki {
  std::string ca_cert_pem, ca_key_pem;
  std::string server_cert_pem, server_key_pem;
  std::string client_cert_pem, client_key_pem;
};

// Aborts the test binary (throws) if OpenSSL fails.
TestPki MakeTestPki(const std::string& ca_name = "skiff-test-ca");

std::string Base64Encode(const std::string& bytes);

}  // namespace skiff::compute_aks::kube::testing
