// SPDX-License-Identifier: Apache-2.0
// ExecAuthTransport: the Kubernetes client's transport when the kubeconfig
// user is an `exec` plugin. Each request carries the plugin's current
// credential: its token as the bearer token, or its client certificate
// (the underlying TLS client is rebuilt when the plugin hands out a new
// certificate). A 401 invalidates that credential; a plain request is then
// sent once more with the plugin's next one (a stream is not: its body may
// already have been handed out, so the next call gets the new credential).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "exec_credential.h"
#include "transport/http_transport.h"

namespace skiff::compute_aks::kube {

class ExecAuthTransport final : public HttpTransport {
 public:
  // `make`: the transport for a credential (its client certificate, if any).
  using TransportFactory =
      std::function<std::shared_ptr<HttpTransport>(const ExecCredential& credential)>;
  ExecAuthTransport(std::shared_ptr<ExecCredentialSource> source, TransportFactory make);

  // Threading: safe to call concurrently.
  StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  StatusOr<HttpResponse> Stream(const HttpRequest& request, const DataCallback& on_data,
                                const net::StreamOptions& stream = {}) override;

 private:
  struct Prepared {
    std::shared_ptr<HttpTransport> transport;
    ExecCredential credential;
    HttpRequest request;
  };
  StatusOr<Prepared> Prepare(const HttpRequest& request);

  std::shared_ptr<ExecCredentialSource> source_;
  const TransportFactory make_;
  std::mutex mu_;
  std::shared_ptr<HttpTransport> current_;  // guarded by mu_
  std::string current_cert_;                // guarded by mu_: the certificate current_ uses
  bool built_ = false;                      // guarded by mu_
};

}  // namespace skiff::compute_aks::kube
