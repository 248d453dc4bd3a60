// SPDX-License-Identifier: Apache-2.0
// The token signing-key files a token-mode service's pods need, read from the
// workstation's keys directory (the server config's auth.options.keysDir).
#pragma once

#include <map>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks::k8s {

// Regular files directly in `keys_dir` (the auth plugin's `<kid>.key.json`
// files and `active`), name -> contents; at most 64 files of 1 MiB each.
// kNotFound when the directory does not exist.
StatusOr<std::map<std::string, std::string>> ReadSigningKeyFiles(const std::string& keys_dir);

}  // namespace skiff::compute_aks::k8s
