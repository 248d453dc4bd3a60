// SPDX-License-Identifier: Apache-2.0
// The Azure CLI's login as a credential, as the Azure SDKs'
// AzureCliCredential uses it: `az account get-access-token --resource R
// --output json`, whose JSON carries accessToken and expires_on (seconds
// since the epoch, az 2.54+) or expiresOn (local time, older az). The token
// comes back on stdout only: it is never in argv, and az's stderr (quoted in
// errors) carries none.
#pragma once

#include <chrono>
#include <string>

#include "arm/access_token.h"
#include "skiff/status.h"

namespace skiff::compute_aks {

// kUnauthenticated with az's first stderr line (and "run `az login`" when it
// says so) when az fails; kFailedPrecondition when it cannot be run.
StatusOr<AccessToken> FetchAzureCliToken(const std::string& az_program, const std::string& resource,
                                         std::chrono::system_clock::time_point now);

// az's JSON to a token; `now` stands in for a missing expiry.
StatusOr<AccessToken> ParseAzureCliToken(const std::string& json,
                                         std::chrono::system_clock::time_point now);

}  // namespace skiff::compute_aks
