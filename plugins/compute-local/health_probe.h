// SPDX-License-Identifier: Apache-2.0
// A tiny blocking HTTP/1.1 GET over a raw socket with a deadline, for
// readiness probes of the services on this machine (no Boost, no threads).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

// GET http://<host>:<port><path>, `host` an IPv4 or IPv6 literal
// (ProbeHost()); returns the status code, or kUnavailable (connection
// refused, timeout, malformed reply) with the reason.
StatusOr<int> HttpGetStatus(const std::string& host, uint16_t port, const std::string& path,
                            std::chrono::milliseconds timeout);

// The same over TLS (a target with --ssl-cert-file), through the one HTTP
// client. The peer is not verified: this asks a server this machine started
// whether it is ready, on loopback, and sends no credential; the scoring
// URI users call is verified as usual.
StatusOr<int> HttpsGetStatus(const std::string& host, uint16_t port, const std::string& path,
                             std::chrono::milliseconds timeout);

// Where this machine reaches a server bound to `address`: loopback for the
// wildcards ("0.0.0.0" -> 127.0.0.1, "::" -> ::1), else the address itself.
std::string ProbeHost(const std::string& address);
// `host` as a URL authority: IPv6 literals in brackets.
std::string UrlHost(const std::string& host);

}  // namespace skiff::compute_local
