// Bytes from a client, as HttpServer reads them: pipelined requests through
// ObsFoldScanner and Beast's request_parser with the server's header limit,
// FramingError, the handler's body limit checked against Content-Length and
// then applied; each request that parses is routed by an unconfigured
// DataPlane (health, metrics, server metadata, 503 for the rest). Sockets and
// timeouts are left out: they are the hostile HTTP tests' business.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "skiff/dataplane/data_plane.h"
#include "skiff/dataplane/http_server.h"

namespace {

using skiff::dataplane::http::request_parser;
using skiff::dataplane::http::string_body;
namespace http = skiff::dataplane::http;

skiff::dataplane::DataPlane& Plane() {
  static skiff::PluginHost* plugins = new skiff::PluginHost(skiff::PluginHost::Options{});
  static auto* plane = new skiff::dataplane::DataPlane(plugins, "fuzz");
  return *plane;
}

// Parses one request from the front of `bytes`; returns the bytes it used,
// or nullopt when the server would answer an error and close.
std::optional<size_t> OneRequest(std::string_view bytes) {
  const skiff::dataplane::HttpServerOptions options;
  request_parser<string_body> parser;
  parser.header_limit(options.max_header_bytes);
  parser.body_limit(UINT64_MAX);
  skiff::dataplane::ObsFoldScanner scanner;
  if (!scanner.Scan(bytes)) return std::nullopt;
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !parser.is_header_done()) return std::nullopt;
  if (!skiff::dataplane::FramingError(parser.get(), parser.chunked()).empty()) return std::nullopt;
  const uint64_t limit = Plane().BodyLimit(parser.get());
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
  Plane().Handle(parser.release(), "127.0.0.1",
                 [](skiff::dataplane::HttpResponse response) { response.prepare_payload(); });
  return used;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Keep-alive: what follows one request is the next one.
  for (int i = 0; i < 16 && !bytes.empty(); ++i) {
    const auto used = OneRequest(bytes);
    if (!used || *used == 0) break;
    bytes.remove_prefix(*used);
  }
  return 0;
}
