// SPDX-License-Identifier: Apache-2.0
#include "transport/http_transport.h"

#include <utility>

namespace skiff::compute_aks {
namespace {

class ClientTransport final : public HttpTransport {
 public:
  explicit ClientTransport(net::HttpClientOptions options) : client_(std::move(options)) {}
  StatusOr<HttpResponse> Send(const HttpRequest& request) override { return client_.Send(request); }
  StatusOr<HttpResponse> Stream(const HttpRequest& request, const DataCallback& on_data,
                                const net::StreamOptions& stream) override {
    return client_.Stream(request, on_data, stream);
  }

 private:
  const net::HttpClient client_;
};

}  // namespace

HttpTransport::~HttpTransport() = default;

StatusOr<HttpResponse> HttpTransport::Stream(const HttpRequest& request,
                                             const DataCallback& on_data,
                                             const net::StreamOptions&) {
  StatusOr<HttpResponse> response = Send(request);
  if (response.ok() && response->status >= 200 && response->status < 300) {
    if (!response->body.empty()) on_data(response->body);
    response->body.clear();
  }
  return response;
}

std::shared_ptr<HttpTransport> MakeHttpClientTransport(net::HttpClientOptions options) {
  if (options.user_agent == net::HttpClientOptions().user_agent) {
    options.user_agent = "skiff-compute-aks/0.1";
  }
  return std::make_shared<ClientTransport>(std::move(options));
}

}  // namespace skiff::compute_aks
