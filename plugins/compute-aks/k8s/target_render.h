// SPDX-License-Identifier: Apache-2.0
// What AksComputeTarget renders for a service: RenderService with the
// target's config (load balancer, purpose, `kubernetes` options) and, in
// token mode, the signing-key files of the server config's keysDir; and the
// --dry-run variant that writes the YAML to a file with key material redacted.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aks_config.h"
#include "skiff/compute_target.h"
#include "skiff/status.h"

namespace skiff::compute_aks::k8s {

// The objects to apply for `spec` on the target configured by `config`.
// Token mode reads the signing-key files (signing_key_files.h) from the
// server config's auth.options.keysDir; a missing directory is an error.
StatusOr<std::vector<nlohmann::json>> RenderForTarget(const ServiceSpec& spec,
                                                      const AksConfig& config);

// Dry run: the same objects as a YAML stream written to `path` (0600), with
// the values of signing-key entries in the Secret replaced by
// "<redacted: N bytes>" (key digests are shown). Token mode without a keys
// directory yet renders a placeholder key file. Contacts nothing.
Status WriteDryRun(const ServiceSpec& spec, const AksConfig& config, const std::string& path);

}  // namespace skiff::compute_aks::k8s
