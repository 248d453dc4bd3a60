// One request off the front of a byte stream, parsed exactly as HttpServer
// parses it (ObsFoldScanner, Beast's request_parser with the server's header
// limit, FramingError, the handler's body limit against Content-Length and
// then while reading). Shared by the http_request and http_routing targets.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "skiff/dataplane/http_server.h"

namespace skiff::fuzz {

// The bytes the request used, with the request in *out; nullopt when the
// server would answer an error and close, or wait for more bytes.
inline std::optional<size_t> ParseOneRequest(std::string_view bytes,
                                             const dataplane::HttpHandler& handler,
                                             dataplane::HttpRequest* out) {
  namespace http = dataplane::http;
  const dataplane::HttpServerOptions options;
  http::request_parser<http::string_body> parser;
  parser.header_limit(options.max_header_bytes);
  parser.body_limit(UINT64_MAX);
  dataplane::ObsFoldScanner scanner;
  if (!scanner.Scan(bytes)) return std::nullopt;
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !parser.is_header_done()) return std::nullopt;
  if (!dataplane::FramingError(parser.get(), parser.chunked()).empty()) return std::nullopt;
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
  *out = parser.release();
  return used;
}

}  // namespace skiff::fuzz
