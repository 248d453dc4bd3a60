// SPDX-License-Identifier: Apache-2.0
// Helpers for the OCI tests: run a real tool (umoci, skopeo, docker-registry,
// htpasswd) and fail with a clear message when it is not installed (CI
// installs them through scripts/deps; they are never skipped).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "skiff/util/program.h"

namespace skiff::oci::testing {

// The tool's stdout; a test failure (with its stderr) when it fails.
inline std::string MustRun(const std::vector<std::string>& argv) {
  auto out = RunAndCapture(argv);
  if (!out.ok()) {
    ADD_FAILURE() << "`" << argv[0] << "` failed: " << out.status().ToString()
                  << "\n(the OCI tests need docker-registry, skopeo, umoci and apache2-utils: "
                     "scripts/deps installs them)";
    return "";
  }
  return *out;
}

}  // namespace skiff::oci::testing
