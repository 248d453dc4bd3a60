// SPDX-License-Identifier: Apache-2.0
// The one URL parser (http/https, IPv6 literals in brackets) for everything
// skiff calls: ARM, the token authority, Kubernetes API servers, a skiff
// server's scoring URI; and the transport rule: https everywhere, plain http
// only to loopback. Standard library + POSIX only: lives in skiff_abi.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff {

struct Url {
  std::string scheme;  // "https" or "http", lower case
  std::string host;    // without brackets for IPv6
  std::string port;    // always set ("443" / "80" by default)
  std::string target;  // path + query, at least "/"

  bool https() const { return scheme == "https"; }
  // scheme://host[:port], the origin a bearer token may be sent to.
  std::string Origin() const;
};

// Parses absolute http(s) URLs. InvalidArgument naming the URL otherwise.
StatusOr<Url> ParseUrl(const std::string& url);

// 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

// Refuses http:// to anything but loopback (tests run a local server);
// `what` names the setting the URL came from.
Status CheckTransportAllowed(const Url& url, const std::string& what);

// Percent-encodes for application/x-www-form-urlencoded.
std::string FormEncode(const std::string& value);

}  // namespace skiff
