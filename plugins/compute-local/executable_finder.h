// SPDX-License-Identifier: Apache-2.0
// Where the local target finds skiff-server and skiff-supervisor when its
// options name neither: the target's own knowledge, so no caller (the SDK,
// the CLI) has to build its private options.
#pragma once

#include <string>
#include <vector>

namespace skiff::compute_local {

// Where to look, in order:
//   1. the environment variable `env_override` (SKIFF_SERVER_BINARY, ...),
//   2. <directory of this plugin's .so>/../../../bin (build/lib/skiff/plugins
//      -> build/bin, <prefix>/lib/skiff/plugins -> <prefix>/bin),
//   3. the install bindir,
//   4. each directory of PATH.
struct ExecutableSearch {
  std::string env_value;    // the override's value, "" when unset
  std::string module_path;  // this plugin's .so (dladdr), "" when unknown
  std::string install_bindir;
  std::string path;  // $PATH
};

// The candidates `search` gives for `name`, in order (pure, for tests).
std::vector<std::string> ExecutableCandidates(const std::string& name,
                                              const ExecutableSearch& search);

// The search of this process: the environment, dladdr, SKIFF_INSTALL_BINDIR.
ExecutableSearch ProcessExecutableSearch(const char* env_override);

// The first candidate that is an executable regular file; "" when none is.
// `looked_in` (may be null) gets the candidates, for an error that says where.
std::string FindExecutable(const std::string& name, const ExecutableSearch& search,
                           std::vector<std::string>* looked_in = nullptr);

}  // namespace skiff::compute_local
