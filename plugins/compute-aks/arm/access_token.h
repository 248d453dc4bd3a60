// SPDX-License-Identifier: Apache-2.0
// AccessToken: a bearer token and when it stops being valid, as each Azure
// credential's protocol reports it (expires_in, expires_on, expiresOn).
#pragma once

#include <chrono>
#include <string>

namespace skiff::compute_aks {

struct AccessToken {
  std::string token;
  std::chrono::system_clock::time_point expires_at;
};

}  // namespace skiff::compute_aks
