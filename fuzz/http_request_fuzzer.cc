// SPDX-License-Identifier: Apache-2.0
// Bytes from a client, as HttpServer reads them: pipelined requests through
// the server's RequestFramer (obs-fold, Beast's request_parser with the
// server's header limit, FramingError, the handler's Admit() and body limit);
// each request that parses is routed by an unconfigured
// DataPlane (health, server metadata, 503 for the rest). Sockets and
// timeouts are left out: they are the hostile HTTP tests' business.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http_request_parse.h"
#include "skiff/dataplane/data_plane.h"
#include "skiff/dataplane/http_server.h"

namespace {

skiff::dataplane::DataPlane& Plane() {
  static skiff::PluginHost* plugins = new skiff::PluginHost(skiff::PluginHost::Options{});
  static auto* plane = new skiff::dataplane::DataPlane(plugins, "fuzz");
  return *plane;
}

// Routes one request from the front of `bytes`; returns the bytes it used,
// or nullopt when the server would answer an error and close.
std::optional<size_t> OneRequest(std::string_view bytes) {
  skiff::dataplane::HttpRequest request;
  const auto used = skiff::fuzz::ParseOneRequest(bytes, Plane(), &request);
  if (!used) return std::nullopt;
  Plane().Handle(std::move(request), "127.0.0.1",
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
