// A tiny blocking HTTP/1.1 GET over a raw loopback socket with a deadline,
// for readiness probes (no Boost, no threads).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

// GET http://127.0.0.1:<port><path>; returns the status code, or kUnavailable
// (connection refused, timeout, malformed reply) with the reason.
StatusOr<int> HttpGetStatus(uint16_t port, const std::string& path,
                            std::chrono::milliseconds timeout);

}  // namespace skiff::compute_local
