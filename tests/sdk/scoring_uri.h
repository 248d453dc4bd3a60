// SPDX-License-Identifier: Apache-2.0
// What the CLI tests need to score a service they deployed: the port and
// path of its scoringUri (parsed by the one URL parser, skiff/util/url.h)
// and a bearer header. Shared by the workflow, keys-and-tokens and
// state-integrity tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "skiff/util/url.h"

namespace skiff::testing {

struct Uri {
  uint16_t port = 0;
  std::string path;
};

// http://127.0.0.1:PORT/path -> {PORT, /path}; a URI that does not parse
// gives port 0 (the test's request then fails visibly).
inline Uri ParseUri(const std::string& uri) {
  auto url = ParseUrl(uri);
  if (!url.ok()) return {};
  return {static_cast<uint16_t>(std::stoi(url->port)), url->target};
}

inline std::map<std::string, std::string> Bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

}  // namespace skiff::testing
