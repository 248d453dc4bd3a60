// SPDX-License-Identifier: Apache-2.0
// RelayTo: a loopback fake that fronts a real server (the TLS front before
// FakeArm, the ACR token stand-in before docker-registry) hands the requests
// it lets through to that server with the one HTTP client and answers with
// its reply, so the relaying is written once.
#pragma once

#include <string>
#include <vector>

#include "loopback_http_server.h"
#include "skiff/net/http_client.h"
#include "skiff/status.h"

namespace skiff::test_support {

// Sends `request` to `upstream` + its target with `client` and returns the
// reply as a LoopbackResponse. Hop-by-hop headers (Connection,
// Content-Length, Transfer-Encoding) are left out both ways, and so are the
// request headers named in `drop_request_headers` (lower case); a reply to
// HEAD keeps upstream's Content-Length. Errors: the client's, when upstream
// could not be asked or did not answer (the caller chooses what its client
// sees then).
StatusOr<LoopbackResponse> RelayTo(const net::HttpClient& client, const std::string& upstream,
                                   const LoopbackRequest& request,
                                   const std::vector<std::string>& drop_request_headers = {});

}  // namespace skiff::test_support
