// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace skiff {

std::string Url::Origin() const {
  const bool default_port = (https() && port == "443") || (!https() && port == "80");
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + (default_port ? "" : ":" + port);
}

StatusOr<Url> ParseUrl(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return InvalidArgument("URL '" + text + "' " + why);
  };
  const size_t sep = text.find("://");
  if (sep == std::string::npos) return bad("is not absolute (expected https://host/...)");
  Url url;
  url.scheme = text.substr(0, sep);
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "https" && url.scheme != "http") return bad("must use https");
  const size_t host_start = sep + 3;
  const size_t path_start = text.find_first_of("/?", host_start);
  std::string authority = text.substr(
      host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  url.target = path_start == std::string::npos ? "/" : text.substr(path_start);
  if (url.target[0] == '?') url.target = "/" + url.target;
  if (authority.find('@') != std::string::npos) return bad("must not carry user info");
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return bad("has an unterminated IPv6 address");
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("has junk after the IPv6 address");
      url.port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) url.port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad("has no host");
  if (url.port.empty()) url.port = url.https() ? "443" : "80";
  if (!std::all_of(url.port.begin(), url.port.end(),
                   [](unsigned char c) { return std::isdigit(c); }) ||
      url.port.size() > 5) {
    return bad("has a bad port");
  }
  return url;
}

bool IsLoopbackHost(const std::string& host) {
  std::string h = host;
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (h == "localhost" || h == "::1") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    static const in6_addr loopback = IN6ADDR_LOOPBACK_INIT;
    return std::equal(std::begin(v6.s6_addr), std::end(v6.s6_addr), std::begin(loopback.s6_addr));
  }
  return false;
}

Status CheckTransportAllowed(const Url& url, const std::string& what) {
  if (url.https() || IsLoopbackHost(url.host)) return OkStatus();
  return InvalidArgument(
      what + ": plain http:// to '" + url.host +
      "' is refused (credentials would travel in clear text); use https://, "
      "or a loopback address (127.0.0.1, ::1, localhost) for a local test server");
}

std::string FormEncode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace skiff
