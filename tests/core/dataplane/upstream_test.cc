// SPDX-License-Identifier: Apache-2.0
// A skiff-server as the router in front of version servers (the Kubernetes
// layout): real loopback DataPlanes, the router with key auth and versions
// whose `upstream` is another DataPlane's OIP infer URL. Checks the router
// authenticates before anything reaches a version, splits and pins, and maps
// upstream failures to 502/503/504.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <utility>

#include "http_client.h"
#include "sha256_hex.h"
#include "skiff/dataplane/access_log.h"
#include "skiff/dataplane/data_plane.h"
#include "skiff/dataplane/metrics_endpoint.h"
#include "skiff/dataplane/upstream_model.h"
#include "test_fixtures.h"

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using config::ParseServerConfig;
using skiff::testing::HttpClient;
using skiff::testing::Reply;
using skiff::testing::Sha256Hex;

const std::string kKey = "router-key-0123456789-abcdefghijklmnopqrstuvwx";

json InferenceConfig() {
  return {{"accelerator", "testmodel"},
          {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
          {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
}

std::string OipBody(float first) {
  return json{{"inputs",
               {{{"name", "x"},
                 {"datatype", "FP32"},
                 {"shape", {1, 4}},
                 {"data", {first, 1.0, 2.0, 3.0}}}}}}
      .dump();
}

// One DataPlane behind its own HttpServer, with its metrics listener.
struct Plane {
  std::unique_ptr<DataPlane> plane;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<MetricsEndpoint> metrics;
  std::unique_ptr<HttpServer> metrics_server;
  uint16_t port() const { return server->port(); }
  void Stop() {  // the servers (which call into the plane) go first
    metrics_server.reset();
    server.reset();
    metrics.reset();
    plane.reset();
  }
};

class UpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = skiff::testing::FreshTestDir("up");
    host_ = skiff::testing::TestPluginHost();
  }
  void TearDown() override {
    router_.Stop();
    blue_.Stop();
    green_.Stop();
    fs::remove_all(dir_);
  }

  Plane Start(const json& config, uint16_t port = 0, AccessLog* access_log = nullptr,
              int listen_fd = -1) {
    Plane p;
    p.plane = std::make_unique<DataPlane>(host_.get(), "test");
    HttpServerOptions http;
    http.port = port;
    http.listen_fd = listen_fd;
    http.access_log = access_log;
    p.server = HttpServer::Start(http, p.plane.get()).value();
    p.metrics = std::make_unique<MetricsEndpoint>(&p.plane->metrics_registry());
    p.metrics_server = HttpServer::Start({}, p.metrics.get()).value();
    auto parsed = ParseServerConfig(config.dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    Status applied = p.plane->Apply(*parsed);
    EXPECT_TRUE(applied.ok()) << applied.ToString();
    return p;
  }
  // A version server: the endpoint's one version, no auth (cluster-internal).
  Plane Backend(const std::string& version, uint16_t port = 0, AccessLog* access_log = nullptr,
                int listen_fd = -1) {
    return Start({{"service", "ep1"},
                  {"deploymentConfig", {{"authEnabled", false}}},
                  {"versions",
                   {{{"name", version},
                     {"artifactPath", "/dev/null"},
                     {"inferenceConfig", InferenceConfig()}}}}},
                 port, access_log, listen_fd);
  }
  static std::string InferUrl(uint16_t port) {
    return "http://127.0.0.1:" + std::to_string(port) + "/v2/models/ep1/infer";
  }
  json RouterConfig(json versions, json deployment = json::object()) {
    deployment["authEnabled"] = true;
    return {{"service", "ep1"},
            {"routingSeed", 7},
            {"auth",
             {{"plugin", "default"},
              {"options", {{"workspace", "ws"}, {"keysDir", (dir_ / "keys").string()}}},
              {"keySha256", {Sha256Hex(kKey)}}}},
            {"deploymentConfig", deployment},
            {"versions", versions}};
  }
  static json UpVersion(const std::string& name, int pct, uint16_t port, bool is_default = false) {
    return {{"name", name},
            {"trafficPercentile", pct},
            {"isDefault", is_default},
            {"upstream", InferUrl(port)},
            {"inferenceConfig", InferenceConfig()}};
  }
  static std::map<std::string, std::string> Auth(const std::string& version = "") {
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + kKey}};
    if (!version.empty()) h["azureml-model-deployment"] = version;
    return h;
  }
  static int Scored(const Plane& version) {
    // The version server's own count of 200s, from its metrics listener.
    Reply m = HttpClient(version.metrics_server->port()).Get("/metrics");
    int total = 0;
    std::istringstream lines(m.body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("skiff_requests_total", 0) == 0 &&
          line.find("code=\"200\"") != std::string::npos) {
        total += std::stoi(line.substr(line.rfind(' ') + 1));
      }
    }
    return total;
  }

  fs::path dir_;
  std::unique_ptr<PluginHost> host_;
  Plane router_, blue_, green_;
};

TEST_F(UpstreamTest, RouterAuthenticatesThenForwardsToTheVersionServer) {
  blue_ = Backend("blue");
  router_ = Start(RouterConfig({UpVersion("blue", 100, blue_.port(), true)}));
  HttpClient c(router_.port());
  EXPECT_EQ(c.Post("/v2/models/ep1/infer", OipBody(0.5f)).status, 401);
  EXPECT_EQ(Scored(blue_), 0) << "nothing reaches a version without a key";
  Reply r = c.Post("/v2/models/ep1/infer", OipBody(0.5f), Auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("azureml-model-deployment"), "blue");
  json out = json::parse(r.body);
  EXPECT_EQ(out["outputs"][0]["name"], "y");
  EXPECT_EQ(out["outputs"][0]["data"], json({1.0, 2.0, 4.0, 6.0}));
  // The Azure route at the router, OIP to the version.
  Reply score = c.Post("/api/v1/service/ep1/score", R"({"data": [[1, 2, 3, 4]]})", Auth());
  ASSERT_EQ(score.status, 200) << score.body;
  EXPECT_EQ(json::parse(score.body)["result"], json({{2.0, 4.0, 6.0, 8.0}}));
  EXPECT_EQ(Scored(blue_), 2);
}

// Issue 23.3: the router hands a request's W3C trace on to the version it
// asks, with its own span as the version's parent, and its request id as
// the version's x-request-id; both servers' access-log lines show it.
TEST_F(UpstreamTest, TheRouterPropagatesTraceparentAndRequestIdToTheVersion) {
  AccessLogOptions router_log_options, blue_log_options;
  router_log_options.destination = (dir_ / "router-access.jsonl").string();
  blue_log_options.destination = (dir_ / "blue-access.jsonl").string();
  auto router_log = AccessLog::Open(router_log_options).value();
  auto blue_log = AccessLog::Open(blue_log_options).value();
  blue_ = Backend("blue", 0, blue_log.get());
  router_ = Start(RouterConfig({UpVersion("blue", 100, blue_.port(), true)}), 0, router_log.get());
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string client_span = "00f067aa0ba902b7";
  auto headers = Auth();
  headers["traceparent"] = "00-" + trace + "-" + client_span + "-01";
  Reply r = HttpClient(router_.port()).Post("/v2/models/ep1/infer", OipBody(0.5f), headers);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string request_id = r.header("x-ms-request-id");
  ASSERT_EQ(request_id.size(), 36u);

  router_.Stop();
  blue_.Stop();
  router_log->Flush();
  blue_log->Flush();
  // The last scoring line (the router's readiness probes are logged too).
  auto last_line = [](const fs::path& path) {
    std::ifstream in(path);
    json last;
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line);
      if (j.value("route", "") == "/v2/models/{model}/infer") last = std::move(j);
    }
    return last;
  };
  const json at_router = last_line(router_log_options.destination);
  const json at_blue = last_line(blue_log_options.destination);
  EXPECT_EQ(at_router["requestId"], request_id);
  EXPECT_EQ(at_router["traceId"], trace);
  EXPECT_EQ(at_router["parentSpanId"], client_span) << "the client's span is the router's parent";
  EXPECT_EQ(at_router["version"], "blue");
  EXPECT_EQ(at_blue["traceId"], trace) << "the version continues the client's trace";
  EXPECT_EQ(at_blue["parentSpanId"], at_router["spanId"]) << "with the router's span as parent";
  EXPECT_NE(at_blue["spanId"], at_router["spanId"]);
  EXPECT_EQ(at_blue["clientRequestId"], request_id) << "the router's id, for correlation";
  EXPECT_EQ(at_blue["route"], "/v2/models/{model}/infer");

  // Without a (valid) traceparent the router starts a trace of its own and
  // the version still continues it.
  blue_ = Backend("blue", 0, blue_log.get());
  router_ = Start(RouterConfig({UpVersion("blue", 100, blue_.port(), true)}), 0, router_log.get());
  headers["traceparent"] = "00-" + std::string(32, '0') + "-" + client_span + "-01";  // all-zero id
  ASSERT_EQ(HttpClient(router_.port()).Post("/v2/models/ep1/infer", OipBody(0.5f), headers).status,
            200);
  router_.Stop();
  blue_.Stop();
  router_log->Flush();
  blue_log->Flush();
  const json fresh_router = last_line(router_log_options.destination);
  const json fresh_blue = last_line(blue_log_options.destination);
  EXPECT_NE(fresh_router["traceId"], std::string(32, '0'));
  EXPECT_FALSE(fresh_router.contains("parentSpanId")) << "an invalid traceparent is ignored";
  EXPECT_EQ(fresh_blue["traceId"], fresh_router["traceId"]);
  EXPECT_EQ(fresh_blue["parentSpanId"], fresh_router["spanId"]);
}

// The router hands its versions its own ids, beside the request since issue
// 20's sixth session (not set in its header fields): a client's own
// x-ms-request-id and a traceparent it forged are never forwarded.
TEST_F(UpstreamTest, AClientsOwnRequestIdIsNeverForwardedToTheVersion) {
  AccessLogOptions router_log_options, blue_log_options;
  router_log_options.destination = (dir_ / "router-access.jsonl").string();
  blue_log_options.destination = (dir_ / "blue-access.jsonl").string();
  auto router_log = AccessLog::Open(router_log_options).value();
  auto blue_log = AccessLog::Open(blue_log_options).value();
  blue_ = Backend("blue", 0, blue_log.get());
  router_ = Start(RouterConfig({UpVersion("blue", 100, blue_.port(), true)}), 0, router_log.get());
  auto headers = Auth();
  headers["x-ms-request-id"] = "client-chosen-request-id";
  headers["traceparent"] = "00-" + std::string(32, '0') + "-00f067aa0ba902b7-01";
  Reply r = HttpClient(router_.port()).Post("/v2/models/ep1/infer", OipBody(0.5f), headers);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string request_id = r.header("x-ms-request-id");
  ASSERT_EQ(request_id.size(), 36u);
  router_.Stop();
  blue_.Stop();
  router_log->Flush();
  blue_log->Flush();
  json at_router, at_blue;
  for (auto [path, last] : {std::pair{router_log_options.destination, &at_router},
                            std::pair{blue_log_options.destination, &at_blue}}) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line);
      if (j.value("route", "") == "/v2/models/{model}/infer") *last = std::move(j);
    }
  }
  EXPECT_EQ(at_router["requestId"], request_id);
  EXPECT_EQ(at_blue["clientRequestId"], request_id) << "the router's id, not the client's";
  EXPECT_EQ(at_blue["traceId"], at_router["traceId"]) << "the router's trace, not the forged one";
  EXPECT_EQ(at_blue["parentSpanId"], at_router["spanId"]);
}

TEST_F(UpstreamTest, SplitAndPinningChooseTheVersionServer) {
  blue_ = Backend("blue");
  green_ = Backend("green");
  router_ = Start(RouterConfig(
      {UpVersion("blue", 70, blue_.port(), true), UpVersion("green", 30, green_.port())}));
  HttpClient c(router_.port());
  for (int i = 0; i < 5; ++i) {
    Reply r = c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth("green"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("azureml-model-deployment"), "green");
  }
  EXPECT_EQ(Scored(green_), 5);
  EXPECT_EQ(Scored(blue_), 0);
  int blue = 0, green = 0;
  for (int i = 0; i < 200; ++i) {
    Reply r = c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth());
    ASSERT_EQ(r.status, 200) << r.body;
    (r.header("azureml-model-deployment") == "blue" ? blue : green)++;
  }
  EXPECT_EQ(Scored(blue_), blue) << "each answer came from the version it names";
  EXPECT_EQ(Scored(green_), 5 + green);
  EXPECT_GT(blue, green) << "70/30";
  EXPECT_GT(green, 20);
}

// Issue 22 item 3 on Kubernetes: the router assigns sticky keys (its
// server.json has `routing`), and each key's requests are scored by its
// version's own server; the router writes the exposure log.
TEST_F(UpstreamTest, TheRouterAssignsStickyKeysToVersionServers) {
  blue_ = Backend("blue");
  green_ = Backend("green");
  json config = RouterConfig(
      {UpVersion("blue", 50, blue_.port(), true), UpVersion("green", 50, green_.port())});
  config["routing"] = {{"keyHeader", "x-user-id"},
                       {"salt", "router-salt-0123456789abcdef"},
                       {"exposureLog", (dir_ / "exposure.jsonl").string()}};
  router_ = Start(config);
  HttpClient c(router_.port());
  std::map<std::string, std::string> first;
  int blue = 0, green = 0;
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 30; ++k) {
      auto headers = Auth();
      headers["x-user-id"] = "user-" + std::to_string(k);
      Reply r = c.Post("/v2/models/ep1/infer", OipBody(1.0f), headers);
      ASSERT_EQ(r.status, 200) << r.body;
      const std::string v = r.header("azureml-model-deployment");
      if (round == 0) first[headers["x-user-id"]] = v;
      EXPECT_EQ(v, first[headers["x-user-id"]]) << headers["x-user-id"];
      (v == "blue" ? blue : green)++;
    }
  }
  EXPECT_GT(blue, 0);
  EXPECT_GT(green, 0);
  EXPECT_EQ(Scored(blue_), blue) << "each key's requests reached its version's server";
  EXPECT_EQ(Scored(green_), green);
  std::ifstream log(dir_ / "exposure.jsonl");
  int lines = 0;
  for (std::string line; std::getline(log, line);) ++lines;
  EXPECT_EQ(lines, 90);
}

TEST_F(UpstreamTest, UpstreamFailuresMapToGatewayStatusCodes) {
  blue_ = Backend("blue");
  router_ = Start(
      RouterConfig({UpVersion("blue", 100, blue_.port(), true)}, {{"scoringTimeoutMs", 200}}));
  HttpClient c(router_.port());
  Reply failed = c.Post("/v2/models/ep1/infer", OipBody(-1.0f), Auth());  // the model throws
  EXPECT_EQ(failed.status, 502) << failed.body;
  EXPECT_NE(failed.body.find("model exploded"), std::string::npos) << failed.body;
  Reply slow = c.Post("/v2/models/ep1/infer", OipBody(-2.0f), Auth());  // 500 ms > 200 ms
  EXPECT_EQ(slow.status, 504) << slow.body;
  Reply bad = c.Post("/v2/models/ep1/infer", R"({"inputs": 1})", Auth());
  EXPECT_EQ(bad.status, 400) << "decoded (and refused) at the router";
  // The version server finishes the slow request, then serves again.
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    status = c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth()).status;
  }
  EXPECT_EQ(status, 200) << "recovered";

  const uint16_t gone = blue_.port();
  blue_.Stop();  // the version server goes away
  Reply down = c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth());
  EXPECT_EQ(down.status, 502) << down.body;
  EXPECT_NE(down.body.find("127.0.0.1:" + std::to_string(gone)), std::string::npos) << down.body;
  EXPECT_EQ(c.Get("/v2/health/live").status, 200) << "the router itself stays up";
}

// A loopback port nothing listens on (the kernel does not hand it out again soon).
// A loopback port held for a server that is not up yet: bound but not
// listening, so a connect to it is refused (as to a pod not ready yet) and
// no other socket of a busy machine can take it meanwhile (a port freed
// and bound again later could be, and the version server's start failed).
// Listen() hands it to the server as HttpServerOptions::listen_fd.
struct HeldPort {
  HeldPort() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
  }
  ~HeldPort() {
    if (fd >= 0) ::close(fd);
  }
  int Listen() {
    EXPECT_EQ(::listen(fd, SOMAXCONN), 0);
    return std::exchange(fd, -1);  // the server owns it now
  }
  int fd = -1;
  uint16_t port = 0;
};

TEST_F(UpstreamTest, AVersionWhoseServerIsNotUpGetsNoTrafficUntilItIs) {
  blue_ = Backend("blue");
  HeldPort green_port;  // green's pods are not ready yet
  json config = RouterConfig(
      {UpVersion("blue", 50, blue_.port(), true), UpVersion("green", 50, green_port.port)});
  config["upstreamProbeMs"] = 100;
  router_ = Start(config);
  HttpClient c(router_.port());
  for (int i = 0; i < 100; ++i) {
    Reply r = c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth());
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.body;
    ASSERT_EQ(r.header("azureml-model-deployment"), "blue");
  }
  EXPECT_EQ(c.Get("/v2/models/ep1/versions/green/ready").status, 503);
  EXPECT_EQ(c.Get("/v2/models/ep1/versions/blue/ready").status, 200);
  // Issue 17.7: the answers say why (green is loaded, it cannot be reached).
  EXPECT_EQ(json::parse(c.Get("/v2/models/ep1/versions/green/ready").body),
            json({{"ready", false}, {"reachable", false}}));
  EXPECT_EQ(json::parse(c.Get("/v2/models/ep1/versions/blue/ready").body),
            json({{"ready", true}, {"reachable", true}}));
  EXPECT_EQ(json::parse(c.Get("/v2/models/ep1/versions/green").body)["reachable"], false);
  EXPECT_EQ(json::parse(c.Get("/v2/models/ep1").body)["unreachable_versions"],
            json::array({"green"}));
  EXPECT_EQ(c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth("green")).status, 502)
      << "a request pinned to green still goes to green";

  green_ = Backend("green", 0, nullptr, green_port.Listen());  // green becomes ready
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (c.Get("/v2/models/ep1/versions/green/ready").status != 200 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(c.Get("/v2/models/ep1/versions/green/ready").status, 200);
  EXPECT_EQ(json::parse(c.Get("/v2/models/ep1/versions/green").body)["reachable"], true);
  EXPECT_EQ(json::parse(c.Get("/v2/models/ep1").body)["unreachable_versions"], json::array());
  int green = 0;
  for (int i = 0; i < 100; ++i) {
    Reply r = c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth());
    ASSERT_EQ(r.status, 200) << r.body;
    green += r.header("azureml-model-deployment") == "green";
  }
  EXPECT_GT(green, 20) << "green takes its share once its server answers";
  EXPECT_EQ(Scored(green_), green);
}

TEST_F(UpstreamTest, AVersionThatGoesDownLosesItsShareAtTheNextProbe) {
  blue_ = Backend("blue");
  green_ = Backend("green");
  json config = RouterConfig(
      {UpVersion("blue", 50, blue_.port(), true), UpVersion("green", 50, green_.port())});
  config["upstreamProbeMs"] = 100;
  router_ = Start(config);
  HttpClient c(router_.port());
  green_.Stop();
  // Until the next probe some requests may still be drawn for green (502);
  // after it, every request goes to blue.
  int consecutive_ok = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (consecutive_ok < 100 && std::chrono::steady_clock::now() < deadline) {
    Reply r = c.Post("/v2/models/ep1/infer", OipBody(1.0f), Auth());
    if (r.status == 200) {
      EXPECT_EQ(r.header("azureml-model-deployment"), "blue");
      ++consecutive_ok;
    } else {
      EXPECT_EQ(r.status, 502) << r.body;
      consecutive_ok = 0;
    }
  }
  EXPECT_EQ(consecutive_ok, 100) << "every request goes to blue once green is found down";
  EXPECT_EQ(c.Get("/v2/models/ep1/versions/green/ready").status, 503);
}

TEST(UpstreamConfigTest, UpstreamProbeIntervalIsBounded) {
  const std::string base =
      R"({"service": "ep1", "deploymentConfig": {"authEnabled": false}, "versions": [)"
      R"({"name": "v", "upstream": "http://127.0.0.1:1/v2/models/ep1/infer", "inferenceConfig":)"
      R"({"accelerator": "testmodel", "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],)"
      R"("outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 4]}]}}])";
  auto ok = ParseServerConfig(base + R"(, "upstreamProbeMs": 250})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->upstream_probe_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(ParseServerConfig(base + "}")->upstream_probe_interval, std::chrono::milliseconds(1000));
  auto bad = ParseServerConfig(base + R"(, "upstreamProbeMs": 10})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("`$.upstreamProbeMs` must be 50-60000"), std::string::npos)
      << bad.status().message();
}

TEST(UpstreamConfigTest, UpstreamIsValidatedAndExclusiveWithAnArtifact) {
  json version = {{"name", "blue"},
                  {"upstream", "http://blue.ns.svc.cluster.local:5001/v2/models/ep1/infer"},
                  {"inferenceConfig", InferenceConfig()}};
  json config = {
      {"service", "ep1"}, {"deploymentConfig", {{"authEnabled", false}}}, {"versions", {version}}};
  auto ok = ParseServerConfig(config.dump());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->versions[0].upstream, version["upstream"]);
  EXPECT_NE(ServerConfig::ContentKey(ok->versions[0]).find("blue.ns.svc"), std::string::npos);

  config["versions"][0]["upstream"] = "https://elsewhere/v2";
  auto bad = ParseServerConfig(config.dump());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("$.versions[0].upstream"), std::string::npos)
      << bad.status().message();
  config["versions"][0]["upstream"] = version["upstream"];
  config["versions"][0]["artifactPath"] = "/models/blue.pt";
  auto both = ParseServerConfig(config.dump());
  EXPECT_NE(both.status().message().find("both `artifactPath` and `upstream`"), std::string::npos)
      << both.status().message();
  config["versions"][0].erase("upstream");
  config["versions"][0].erase("artifactPath");
  EXPECT_NE(ParseServerConfig(config.dump()).status().message().find("artifactPath` is required"),
            std::string::npos);
}

}  // namespace
}  // namespace skiff::dataplane
