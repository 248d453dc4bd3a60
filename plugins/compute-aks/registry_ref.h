// SPDX-License-Identifier: Apache-2.0
// The registry an aks target's pods pull their images from (`registry` in
// the aks config; `computetarget create|attach aks --registry NAME_OR_HOST`).
// A bare name (`myacr`) or `<name>.azurecr.io` is an Azure Container
// Registry: create/attach grant the cluster's kubelet identity AcrPull on it
// through ARM (arm/acr_pull.h). Any other host (`reg.example:5000`) is
// another registry, reached with credentials the user supplies.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks {

struct RegistryRef {
  std::string host;      // what image references start with: myacr.azurecr.io
  std::string acr_name;  // lower-case ACR name; empty for another registry

  bool empty() const { return host.empty(); }
  bool is_acr() const { return !acr_name.empty(); }
};

// "" -> an empty ref. InvalidArgument naming `registry` (--registry) and the
// accepted shapes otherwise. No network.
StatusOr<RegistryRef> ParseRegistry(const std::string& name_or_host);

}  // namespace skiff::compute_aks
