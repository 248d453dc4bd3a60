// SPDX-License-Identifier: Apache-2.0
// HttpTransport: the seam between the ARM and Kubernetes clients and the
// network, so tests and fuzz targets can script replies. The real one is the
// core's blocking client (skiff/net/http_client.h: https with verification,
// plain http to loopback only); retries are the caller's business
// (retry_sender.h).
#pragma once

#include <memory>
#include <string_view>

#include "skiff/net/http_client.h"
#include "skiff/status.h"

namespace skiff::compute_aks {

using HttpRequest = net::HttpRequest;
using HttpResponse = net::HttpResponse;

class HttpTransport {
 public:
  virtual ~HttpTransport();
  // Errors as net::HttpClient::Send(). Threading: safe to call concurrently.
  virtual StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;

  // As net::HttpClient::Stream(). The default implementation calls Send()
  // and hands over the body at once (no ticks). Threading: as Send().
  using DataCallback = net::HttpClient::DataCallback;
  virtual StatusOr<HttpResponse> Stream(const HttpRequest& request, const DataCallback& on_data,
                                        const net::StreamOptions& stream = {});
};

// The network: a net::HttpClient with `options` (user agent
// "skiff-compute-aks/0.1" unless set).
std::shared_ptr<HttpTransport> MakeHttpClientTransport(net::HttpClientOptions options);

}  // namespace skiff::compute_aks
