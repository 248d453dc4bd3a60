// SPDX-License-Identifier: Apache-2.0
#include "exec_auth_transport.h"

namespace skiff::compute_aks::kube {

ExecAuthTransport::ExecAuthTransport(std::shared_ptr<ExecCredentialSource> source,
                                     TransportFactory make)
    : source_(std::move(source)), make_(std::move(make)) {}

StatusOr<ExecAuthTransport::Prepared> ExecAuthTransport::Prepare(const HttpRequest& request) {
  SKIFF_ASSIGN_OR_RETURN(ExecCredential credential, source_->Get());
  Prepared out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!built_ || current_cert_ != credential.client_cert_pem) {
      current_ = make_(credential);
      current_cert_ = credential.client_cert_pem;
      built_ = true;
    }
    out.transport = current_;
  }
  out.request = request;
  if (!credential.token.empty()) {
    out.request.headers.emplace_back("Authorization", "Bearer " + credential.token);
  }
  out.credential = std::move(credential);
  return out;
}

StatusOr<HttpResponse> ExecAuthTransport::Send(const HttpRequest& request) {
  SKIFF_ASSIGN_OR_RETURN(Prepared first, Prepare(request));
  auto response = first.transport->Send(first.request);
  if (!response.ok() || response->status != 401) return response;
  // The plugin's credential was revoked or expired early: ask it again.
  source_->Invalidate(first.credential);
  SKIFF_ASSIGN_OR_RETURN(Prepared second, Prepare(request));
  return second.transport->Send(second.request);
}

StatusOr<HttpResponse> ExecAuthTransport::Stream(const HttpRequest& request,
                                                 const DataCallback& on_data,
                                                 const net::StreamOptions& stream) {
  SKIFF_ASSIGN_OR_RETURN(Prepared prepared, Prepare(request));
  auto response = prepared.transport->Stream(prepared.request, on_data, stream);
  if (response.ok() && response->status == 401) source_->Invalidate(prepared.credential);
  return response;
}

}  // namespace skiff::compute_aks::kube
