// SPDX-License-Identifier: Apache-2.0
// Issue 20 over real loopback skiff data planes: the binary tensor
// extension and every OIP datatype on the endpoint and version routes, direct
// and through a router (whose upstream hop is binary too), and the OIP spec's
// own examples (tests/core/protocol/spec_examples) replayed byte for byte.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "http_client.h"
#include "skiff/dataplane/data_plane.h"
#include "test_fixtures.h"

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Reply;

std::string Example(const std::string& name) {
  const std::string path =
      std::string(std::getenv("SKIFF_SOURCE_DIR")) + "/tests/core/protocol/spec_examples/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename T>
std::string Raw(std::initializer_list<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  size_t i = 0;
  for (T v : values) std::memcpy(out.data() + sizeof(T) * i++, &v, sizeof(T));
  return out;
}

// BYTES elements, each a 4-byte little-endian length and its bytes.
std::string Strings(std::initializer_list<std::string> elements) {
  std::string out;
  for (const std::string& e : elements) {
    const auto n = static_cast<uint32_t>(e.size());
    out += std::string{static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 24)} +
           e;
  }
  return out;
}

// The OIP spec examples' model: input0 UINT32 [2, 2], input1 BOOL [3] ->
// output0 FP32 [3, 2] (the test plugin answers the spec's values).
json SpecModel() {
  return {{"accelerator", "testmodel"},
          {"inputs",
           {{{"name", "input0"}, {"datatype", "UINT32"}, {"shape", {2, 2}}},
            {{"name", "input1"}, {"datatype", "BOOL"}, {"shape", {3}}}}},
          {"outputs", {{{"name", "output0"}, {"datatype", "FP32"}, {"shape", {3, 2}}}}}};
}

// An echo model over the datatypes issue 20 added (the test plugin echoes
// input i as output i).
json EchoModel() {
  json inputs = json::array(), outputs = json::array();
  for (const char* t : {"BYTES", "INT16", "UINT16", "UINT32", "UINT64", "BF16"}) {
    inputs.push_back({{"name", std::string("in_") + t}, {"datatype", t}, {"shape", {-1}}});
    outputs.push_back({{"name", std::string("out_") + t}, {"datatype", t}, {"shape", {-1}}});
  }
  return {{"accelerator", "testmodel"}, {"inputs", inputs}, {"outputs", outputs}};
}

struct Plane {
  std::unique_ptr<DataPlane> plane;
  std::unique_ptr<HttpServer> server;
  uint16_t port() const { return server->port(); }
  void Stop() {
    server.reset();
    plane.reset();
  }
};

class OipBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = skiff::testing::TestPluginHost();
  }
  void TearDown() override {
    router_.Stop();
    backend_.Stop();
  }
  Plane Start(const json& config) {
    Plane p;
    p.plane = std::make_unique<DataPlane>(host_.get(), "test");
    p.server = HttpServer::Start(HttpServerOptions{}, p.plane.get()).value();
    auto parsed = config::ParseServerConfig(config.dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    Status applied = p.plane->Apply(*parsed);
    EXPECT_TRUE(applied.ok()) << applied.ToString();
    return p;
  }
  // A version server for `model`, and a router in front of it (no auth:
  // what is checked here is the body, both hops).
  void StartPair(const json& model) {
    backend_ =
        Start({{"service", "ep1"},
               {"deploymentConfig", {{"authEnabled", false}}},
               {"versions",
                {{{"name", "v1"}, {"artifactPath", "/dev/null"}, {"inferenceConfig", model}}}}});
    router_ = Start({{"service", "ep1"},
                     {"deploymentConfig", {{"authEnabled", false}}},
                     {"versions",
                      {{{"name", "v1"},
                        {"upstream", "http://127.0.0.1:" + std::to_string(backend_.port()) +
                                         "/v2/models/ep1/infer"},
                        {"inferenceConfig", model}}}}});
  }
  // The ports and routes every check runs on: the version server and the
  // router, each on the endpoint route and the version route.
  std::vector<std::pair<uint16_t, std::string>> Routes() const {
    std::vector<std::pair<uint16_t, std::string>> out;
    for (uint16_t port : {backend_.port(), router_.port()}) {
      out.push_back({port, "/v2/models/ep1/infer"});
      out.push_back({port, "/v2/models/ep1/versions/v1/infer"});
    }
    return out;
  }

  std::unique_ptr<PluginHost> host_;
  Plane router_, backend_;
};

TEST_F(OipBinaryTest, TritonBinaryExampleOnEveryRouteDirectAndThroughTheRouter) {
  StartPair(SpecModel());
  const std::string header = Example("triton_binary_request.json");
  const std::string body = header + Raw<uint32_t>({1, 2, 3, 4}) + Raw<uint8_t>({1, 0, 1});
  const json want = json::parse(Example("triton_binary_response.json"));
  for (const auto& [port, route] : Routes()) {
    SCOPED_TRACE(std::to_string(port) + route);
    Reply r = HttpClient(port).Post(
        route, body, {{"Inference-Header-Content-Length", std::to_string(header.size())}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/octet-stream");
    const size_t n = std::stoul(r.header("inference-header-content-length"));
    ASSERT_EQ(r.body.size(), n + 24);
    const json got = json::parse(r.body.substr(0, n));
    EXPECT_EQ(got["outputs"], want["outputs"]);
    EXPECT_EQ(got["model_name"], "ep1");
    EXPECT_EQ(r.body.substr(n), Raw<float>({1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f}));
  }
}

TEST_F(OipBinaryTest, KServeJsonExampleOnEveryRoute) {
  StartPair(SpecModel());
  std::string corrected = Example("kserve_infer_request.json");
  const std::string printed = "\"data\" : [ true ]";
  corrected.replace(corrected.find(printed), printed.size(), "\"data\" : [ true, false, true ]");
  std::string response = Example("kserve_infer_response.json");
  response.insert(response.find("\"42\"") + 4, ",");  // the spec's missing comma
  const json want = json::parse(response);
  for (const auto& [port, route] : Routes()) {
    SCOPED_TRACE(std::to_string(port) + route);
    HttpClient c(port);
    Reply as_printed = c.Post(route, Example("kserve_infer_request.json"));
    EXPECT_EQ(as_printed.status, 400);
    EXPECT_EQ(json::parse(as_printed.body)["error"],
              "input 'input1': shape [3] needs 3 elements but data has 1");
    Reply r = c.Post(route, corrected);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("inference-header-content-length"), "");
    const json got = json::parse(r.body);
    EXPECT_EQ(got["id"], want["id"]);
    EXPECT_EQ(got["outputs"], want["outputs"]);
  }
}

// Before issue 20 each of these datatypes was a 400; BYTES that are not
// UTF-8 come back intact only if every hop (the router's included) is binary.
TEST_F(OipBinaryTest, EveryNewDatatypeEchoesThroughTheRouterInJsonAndBinary) {
  StartPair(EchoModel());
  const json inputs = {
      {{"name", "in_BYTES"}, {"datatype", "BYTES"}, {"shape", {2}}, {"data", {"hello", "wörld"}}},
      {{"name", "in_INT16"}, {"datatype", "INT16"}, {"shape", {2}}, {"data", {-32768, 7}}},
      {{"name", "in_UINT16"}, {"datatype", "UINT16"}, {"shape", {1}}, {"data", {65535}}},
      {{"name", "in_UINT32"}, {"datatype", "UINT32"}, {"shape", {1}}, {"data", {4294967295u}}},
      {{"name", "in_UINT64"},
       {"datatype", "UINT64"},
       {"shape", {1}},
       {"data", {18446744073709551615u}}},
      {{"name", "in_BF16"}, {"datatype", "BF16"}, {"shape", {2}}, {"data", {1.5, -2.0}}}};
  const std::string json_body = json{{"inputs", inputs}}.dump();
  // The same tensors in binary, with BYTES no JSON could carry.
  const std::string bytes = Strings({"\xff\xfe", std::string("\0a", 2)});
  json header = {{"parameters", {{"binary_data_output", true}}}, {"inputs", json::array()}};
  const std::vector<std::string> raw = {bytes,
                                        Raw<int16_t>({-32768, 7}),
                                        Raw<uint16_t>({65535}),
                                        Raw<uint32_t>({4294967295u}),
                                        Raw<uint64_t>({UINT64_MAX}),
                                        Raw<uint16_t>({0x3FC0, 0xC000})};
  std::string tail;
  for (size_t i = 0; i < raw.size(); ++i) {
    json in = inputs[i];
    in.erase("data");
    in["parameters"] = {{"binary_data_size", raw[i].size()}};
    header["inputs"].push_back(in);
    tail += raw[i];
  }
  const std::string binary_json = header.dump();
  for (const auto& [port, route] : Routes()) {
    SCOPED_TRACE(std::to_string(port) + route);
    HttpClient c(port);
    Reply r = c.Post(route, json_body);
    ASSERT_EQ(r.status, 200) << r.body;
    const json out = json::parse(r.body)["outputs"];
    ASSERT_EQ(out.size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(out[i]["datatype"], inputs[i]["datatype"]);
      EXPECT_EQ(out[i]["data"], inputs[i]["data"]) << out[i].dump();
    }
    Reply b = c.Post(route, binary_json + tail,
                     {{"Inference-Header-Content-Length", std::to_string(binary_json.size())}});
    ASSERT_EQ(b.status, 200) << b.body;
    const size_t n = std::stoul(b.header("inference-header-content-length"));
    const json bout = json::parse(b.body.substr(0, n))["outputs"];
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(bout[i]["parameters"]["binary_data_size"], raw[i].size());
    }
    EXPECT_EQ(b.body.substr(n), tail);
  }
}

TEST_F(OipBinaryTest, HostileFramingIs400NamingTheHeaderOrInput) {
  StartPair(SpecModel());
  const std::string header = Example("triton_binary_request.json");
  const std::string body = header + Raw<uint32_t>({1, 2, 3, 4}) + Raw<uint8_t>({1, 0, 1});
  struct Case {
    std::string body, length, error;
  };
  const Case cases[] = {
      {body, "-1", "header Inference-Header-Content-Length must be the length in bytes"},
      {body, std::to_string(body.size() + 1), "header Inference-Header-Content-Length is "},
      {body.substr(0, body.size() - 2), std::to_string(header.size()),
       "input 'input1': parameters.binary_data_size is 3 but only 1 bytes"},
      {body + "x", std::to_string(header.size()), "the body has 20 bytes after the JSON header"},
  };
  for (const auto& [port, route] : Routes()) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::to_string(port) + route + " " + c.error);
      Reply r =
          HttpClient(port).Post(route, c.body, {{"Inference-Header-Content-Length", c.length}});
      EXPECT_EQ(r.status, 400);
      const std::string error = json::parse(r.body)["error"];
      EXPECT_EQ(error.substr(0, c.error.size()), c.error);
    }
  }
}

}  // namespace
}  // namespace skiff::dataplane
