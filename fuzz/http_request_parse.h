// SPDX-License-Identifier: Apache-2.0
// One request off the front of a byte stream, parsed exactly as HttpServer
// parses it: the server's own RequestFramer (obs-fold scan, Beast's parser
// with the server's header limit, FramingError, the handler's Admit() and
// body limit) over the bytes instead of a socket. The server-wide body
// budget and 100-continue are left out: they depend on other connections and
// on the socket. Shared by the http_request and http_routing targets.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "skiff/dataplane/request_framer.h"

namespace skiff::fuzz {

// The bytes the request used, with the request in *out; nullopt when the
// server would answer an error and close, or wait for more bytes.
inline std::optional<size_t> ParseOneRequest(std::string_view bytes,
                                             dataplane::HttpHandler& handler,
                                             dataplane::HttpRequest* out) {
  namespace http = dataplane::http;
  dataplane::RequestFramer framer(dataplane::HttpServerOptions{}.max_header_bytes);
  std::optional<dataplane::HttpResponse> answer;
  size_t used = framer.PutHeader(bytes, &answer);
  if (answer || !framer.header_done()) return std::nullopt;
  if (framer.Admit(handler, "127.0.0.1")) return std::nullopt;  // answered, then closed
  while (!framer.parser().is_done()) {
    const std::string_view rest = bytes.substr(used);
    if (rest.empty()) return std::nullopt;
    boost::beast::error_code ec;
    const size_t n = framer.PutBody(rest, &ec);
    if (ec == http::error::need_more && n == 0) return std::nullopt;  // waits for more
    if (ec && ec != http::error::need_more) return std::nullopt;
    used += n;
  }
  *out = framer.Release();
  return used;
}

}  // namespace skiff::fuzz
