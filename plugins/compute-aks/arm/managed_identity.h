// SPDX-License-Identifier: Apache-2.0
// Managed identity tokens, as the Azure SDKs get them:
//  - the instance metadata service (IMDS): GET
//    {endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01
//    &resource=R[&client_id=C] with the header `Metadata: true`;
//  - App Service style (IDENTITY_ENDPOINT + IDENTITY_HEADER): GET
//    {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=R[&client_id=C]
//    with `X-IDENTITY-HEADER`.
// Retries follow Azure's IMDS guidance: 404 (the identity is still being
// set up), 410 (IMDS is being updated: keep trying for at least 70 s), 429
// and 5xx are retried with exponential backoff (a longer Retry-After wins).
// A connection that cannot be made is not retried: there is no metadata
// service here.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "arm/access_token.h"
#include "transport/clock.h"
#include "transport/http_transport.h"

namespace skiff::compute_aks {

struct ManagedIdentityRequest {
  std::string endpoint;         // IMDS origin, or the full IDENTITY_ENDPOINT URL
  std::string identity_header;  // non-empty: App Service style
  std::string client_id;        // "" : the system-assigned identity
  std::string resource;         // e.g. https://management.azure.com/
};

struct ManagedIdentityRetry {
  int max_retries = 5;                          // 0.8 + 1.6 + 3.2 + 6.4 + 12.8 s
  std::chrono::milliseconds initial{800};       // doubled on each retry
  std::chrono::seconds keep_trying_on_410{70};  // from the first attempt
};

// The transport for the metadata endpoint: plain http to a host that is not
// loopback is allowed here because credentials.cc admitted only
// 169.254.169.254, loopback or https.
std::shared_ptr<HttpTransport> MakeMetadataTransport();

// kUnauthenticated naming the endpoint and the HTTP status, or what to
// check, when no token comes back. Never echoes a token. Threading: pure
// apart from `transport` and `clock`.
StatusOr<AccessToken> FetchManagedIdentityToken(const ManagedIdentityRequest& request,
                                                HttpTransport& transport, Clock& clock,
                                                const ManagedIdentityRetry& retry);

}  // namespace skiff::compute_aks
