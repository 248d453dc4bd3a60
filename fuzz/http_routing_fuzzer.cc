// SPDX-License-Identifier: Apache-2.0
// Bytes from a client, parsed as HttpServer parses them (http_request_parse.h),
// then routed by configured DataPlanes, past where http_request's
// unconfigured plane stops:
//  - "svc": key auth (Bearer key, digests in the config), two versions
//    (blue 90 % default, green 10 %) of the fuzzmodel accelerator, pinning by
//    the azureml-model-deployment header or /versions/{v}, OIP v2 and Azure
//    bodies, swagger, model metadata and readiness;
//  - the same without auth, so mutations reach decoding and scoring
//    without guessing a key.
// Every request must be answered (within 10 s) with a status the data plane
// documents; the model never fails, so 500 or 502 is a finding.
// HTTP_ROUTING_VERBOSE=1 prints each answer's status (for writing seeds).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/dll/runtime_symbol_info.hpp>

#include "http_request_parse.h"
#include "skiff/config/server_config.h"
#include "skiff/dataplane/data_plane.h"
#include "skiff/util/sha256.h"

namespace {

using skiff::dataplane::DataPlane;
using skiff::dataplane::HttpResponse;

// The key the seed corpus sends (fuzz/corpus/http_routing/).
constexpr char kKey[] = "fuzz-routing-key-0123456789abcdefghijklmnop";

std::string Config(const std::string& service, bool auth) {
  const std::string version =
      R"("inferenceConfig": {"accelerator": "fuzzmodel",
           "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
           "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 4]}]},
         "artifactPath": "/dev/null")";
  return R"({"service": ")" + service + R"(", "routingSeed": 7,
    "auth": {"plugin": "default", "options": {"workspace": "fuzz", "keysDir": "/nonexistent"},
             "keySha256": [")" + skiff::Sha256Hex(kKey) + R"("]},
    "deploymentConfig": {"authEnabled": )" + (auth ? "true" : "false") + R"(,
                         "maxConcurrentRequestsPerContainer": 2, "maxQueueWaitMs": 5000},
    "versions": [
      {"name": "blue", "trafficPercentile": 90, "isDefault": true, )" + version + R"(},
      {"name": "green", "trafficPercentile": 10, "isControl": true, )" + version + R"(}]})";
}

DataPlane* MakePlane(skiff::PluginHost* plugins, const std::string& service, bool auth) {
  auto* plane = new DataPlane(plugins, "fuzz");
  auto config = skiff::config::ParseServerConfig(Config(service, auth));
  skiff::Status s = config.ok() ? plane->Apply(*config) : config.status();
  if (!s.ok()) {
    std::fprintf(stderr, "http_routing: cannot configure '%s': %s\n", service.c_str(),
                 s.message().c_str());
    std::abort();
  }
  return plane;
}

struct Planes {
  DataPlane* keyed;
  DataPlane* open;
};

Planes& Get() {
  static Planes* planes = [] {
    // The fuzz model beside this binary (fuzz/plugins/), the auth plugin in
    // the build's lib/skiff/plugins.
    const auto dir = boost::dll::program_location().parent_path();
    skiff::PluginHost::Options options;
    options.search_path = {(dir / "plugins").string(),
                           (dir.parent_path() / "lib" / "skiff" / "plugins").string()};
    auto* plugins = new skiff::PluginHost(options);
    plugins->Discover();
    return new Planes{MakePlane(plugins, "svc", true), MakePlane(plugins, "svc", false)};
  }();
  return *planes;
}

bool Documented(int status) {
  switch (status) {
    case 200: case 400: case 401: case 403: case 404: case 405: case 411: case 413:
    case 415: case 429: case 503: case 504:
      return true;
    default:
      return false;
  }
}

void CheckStatus(int status, const std::string& target) {
  static const bool verbose = std::getenv("HTTP_ROUTING_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "http_routing: %d %s\n", status, target.c_str());
  if (!Documented(status)) {
    std::fprintf(stderr, "http_routing: status %d\n", status);
    std::abort();
  }
}

// Admits `request` on its header as HttpServer does (a refusal is the
// answer), else routes it and waits for its answer.
void RouteAndCheck(DataPlane& plane, skiff::dataplane::HttpRequest request) {
  if (auto refusal = plane.Admit(request.base(), "127.0.0.1")) {
    CheckStatus(static_cast<int>(refusal->result_int()), std::string(request.target()));
    return;
  }
  struct Answer {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<int> status;
  };
  static const bool verbose = std::getenv("HTTP_ROUTING_VERBOSE") != nullptr;
  const std::string target = verbose ? std::string(request.target()) : std::string();
  auto answer = std::make_shared<Answer>();
  plane.Handle(std::move(request), "127.0.0.1", [answer](HttpResponse response) {
    response.prepare_payload();
    std::lock_guard<std::mutex> lock(answer->mu);
    answer->status = static_cast<int>(response.result_int());
    answer->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(answer->mu);
  if (!answer->cv.wait_for(lock, std::chrono::seconds(10), [&] { return answer->status.has_value(); })) {
    std::fprintf(stderr, "http_routing: no answer within 10 s\n");
    std::abort();
  }
  CheckStatus(*answer->status, target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Planes& planes = Get();
  // Keep-alive: what follows one request is the next one.
  for (int i = 0; i < 8 && !bytes.empty(); ++i) {
    skiff::dataplane::HttpRequest request;
    // Parsed with the open plane's Admit (no auth), so requests the keyed
    // plane refuses on their header still reach both planes.
    const auto used = skiff::fuzz::ParseOneRequest(bytes, *planes.open, &request);
    if (!used || *used == 0) break;
    bytes.remove_prefix(*used);
    RouteAndCheck(*planes.open, request);
    RouteAndCheck(*planes.keyed, std::move(request));
  }
  return 0;
}
