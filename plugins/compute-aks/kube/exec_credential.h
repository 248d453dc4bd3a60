// SPDX-License-Identifier: Apache-2.0
// ExecCredentialSource: a kubeconfig `exec` credential plugin (kubelogin,
// aws-iam-authenticator, gke-gcloud-auth-plugin, ...) run as client-go runs
// it (client.authentication.k8s.io/v1 and v1beta1):
//  - the command with its args, its env added to skiff's environment, and
//    KUBERNETES_EXEC_INFO = an ExecCredential with spec.interactive false
//    (skiff never has a terminal for it) and, with provideClusterInfo, the
//    cluster's server and CA;
//  - its stdout is an ExecCredential of the same apiVersion whose status
//    has a token or clientCertificateData + clientKeyData (PEM), and
//    optionally expirationTimestamp (RFC 3339);
//  - the credential is cached in memory (never on disk) and reused until
//    that timestamp passes (without one, for the life of the process);
//    the plugin runs again then, or after the API server answers 401 to it.
// The plugin's output is never logged; its stderr's first line goes into
// the error when it fails.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kubeconfig.h"
#include "skiff/status.h"
#include "transport/clock.h"

namespace skiff::compute_aks::kube {

struct ExecCredential {
  std::string token;  // bearer token, or ""
  std::string client_cert_pem, client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expires_at;
};

// What provideClusterInfo hands the plugin.
struct ExecClusterInfo {
  std::string server;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
};

// The plugin's stdout as a credential: InvalidArgument naming the field
// (status.token, status.expirationTimestamp, ...) when it is not a valid
// ExecCredential of `api_version`. Threading: pure.
StatusOr<ExecCredential> ParseExecCredential(const std::string& json,
                                             const std::string& api_version);

// "2026-12-06T17:00:00Z" / "...+01:00" / fractional seconds.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text);

class ExecCredentialSource {
 public:
  ExecCredentialSource(ExecConfig exec, ExecClusterInfo cluster, std::shared_ptr<Clock> clock);

  // The cached credential while it has not expired, else the plugin's new
  // one. kUnauthenticated naming the command when it fails or prints no
  // usable credential. Threading: safe to call concurrently; one run at a
  // time (callers wait for it rather than starting their own).
  StatusOr<ExecCredential> Get();
  // The API server refused `used` (401): unless another caller has already
  // replaced it, the next Get() runs the plugin again.
  void Invalidate(const ExecCredential& used);

  int runs() const;  // how many times the plugin ran (for tests)

 private:
  StatusOr<ExecCredential> Run();  // requires mu_

  const ExecConfig exec_;
  const ExecClusterInfo cluster_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  std::optional<ExecCredential> cached_;  // guarded by mu_
  int runs_ = 0;                          // guarded by mu_
};

}  // namespace skiff::compute_aks::kube
