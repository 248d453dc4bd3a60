// One request off the front of a byte stream, parsed exactly as HttpServer
// parses it (ObsFoldScanner, Beast's request_parser over UnreservedStringBody
// with the server's header limit, FramingError, the handler's Admit() on the
// header, the handler's body limit against Content-Length and then while
// reading). The server-wide body budget and 100-continue are left out: they
// depend on other connections and on the socket. Shared by the http_request
// and http_routing targets.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "skiff/dataplane/http_server.h"

namespace skiff::fuzz {

// The bytes the request used, with the request in *out; nullopt when the
// server would answer an error and close, or wait for more bytes.
inline std::optional<size_t> ParseOneRequest(std::string_view bytes,
                                             dataplane::HttpHandler& handler,
                                             dataplane::HttpRequest* out) {
  namespace http = dataplane::http;
  const dataplane::HttpServerOptions options;
  dataplane::RequestParser parser;
  parser.header_limit(options.max_header_bytes);
  parser.body_limit(UINT64_MAX);
  dataplane::ObsFoldScanner scanner;
  if (!scanner.Scan(bytes)) return std::nullopt;
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !parser.is_header_done()) return std::nullopt;
  if (!dataplane::FramingError(parser.get(), parser.chunked()).empty()) return std::nullopt;
  if (handler.Admit(parser.get(), "127.0.0.1")) return std::nullopt;  // answered, then closed
  const uint64_t limit = handler.BodyLimit(parser.get());
  if (auto length = parser.content_length(); length && *length > limit) return std::nullopt;
  parser.body_limit(limit);
  while (!parser.is_done()) {
    const std::string_view rest = bytes.substr(used);
    if (rest.empty()) return std::nullopt;
    const size_t n = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec == http::error::need_more && n == 0) return std::nullopt;  // waits for more
    if (ec && ec != http::error::need_more) return std::nullopt;
    used += n;
  }
  auto parsed = parser.release();
  *out = dataplane::HttpRequest(std::move(parsed.base()), std::move(parsed.body()));
  return used;
}

}  // namespace skiff::fuzz
