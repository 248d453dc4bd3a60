// Internal: one blocking HTTP/1.1 request to a skiff server (scoring,
// readiness). Plain http only; the local target listens on loopback.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "skiff/status.h"

namespace skiff::sdk::internal {

struct HttpReply {
  int status = 0;
  std::string body;
};

// `url` is http://host:port/path. kUnavailable when the server cannot be reached.
StatusOr<HttpReply> HttpCall(const std::string& method, const std::string& url,
                             const std::string& body,
                             const std::map<std::string, std::string>& headers,
                             std::chrono::milliseconds timeout);

}  // namespace skiff::sdk::internal
