// SPDX-License-Identifier: Apache-2.0
#include "loopback_relay.h"

#include <algorithm>
#include <utility>

namespace skiff::test_support {

StatusOr<LoopbackResponse> RelayTo(const net::HttpClient& client, const std::string& upstream,
                                   const LoopbackRequest& request,
                                   const std::vector<std::string>& drop_request_headers) {
  net::HttpRequest forward{request.method, upstream + request.target, {}, request.body};
  for (const auto& [name, value] : request.headers) {
    if (name == "connection" || name == "content-length" || name == "transfer-encoding") continue;
    if (std::find(drop_request_headers.begin(), drop_request_headers.end(), name) !=
        drop_request_headers.end())
      continue;
    forward.headers.emplace_back(name, value);
  }
  auto reply = client.Send(forward);
  if (!reply.ok()) return reply.status();
  LoopbackResponse res;
  res.status = reply->status;
  for (const auto& [name, value] : reply->headers) {
    if (name == "connection" || name == "transfer-encoding") continue;
    // The loopback server states the body's length, except for HEAD.
    if (name == "content-length" && request.method != "HEAD") continue;
    res.headers.emplace_back(name, value);
  }
  res.body = std::move(reply->body);
  return res;
}

}  // namespace skiff::test_support
