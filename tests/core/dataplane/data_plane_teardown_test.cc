// SPDX-License-Identifier: Apache-2.0
// DataPlane teardown with work in flight (docs/reliability.md "Teardown and
// TSan, fifth session"): a live request inside a model that blocks until the
// test lets it go, its shadow copies (one scoring, one queued) and a request
// pinned to a version whose upstream server holds it. Destroying the data
// plane then answers every client 503 without waiting for the models, returns
// only once the models are let go and the workers have left them, and frees
// the metrics only after that (a worker that records into freed metrics is a
// heap-use-after-free under ASan, a race under TSan). Shutdown(grace) drains
// first. Real loopback DataPlanes and HttpServers with the test accelerator.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_client.h"
#include "skiff/dataplane/data_plane.h"
#include "test_fixtures.h"

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Reply;
using std::chrono::seconds;

constexpr auto kBound = seconds(30);

json InferenceConfig() {
  return {{"accelerator", "testmodel"},
          {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
          {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
}

const std::string kBody =
    R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})";

// Polls `done` until it holds or kBound passes.
bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

double Series(const std::string& text, const std::string& series) {
  const size_t at = text.find(series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 1));
}

class DataPlaneTeardownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = skiff::testing::FreshTestDir("teardown");
    host_ = skiff::testing::TestPluginHost();
    gated_ = (dir_ / "gated").string();
    std::ofstream(gated_) << "gate=" << (dir_ / "open").string() << "\n";
  }
  void TearDown() override {
    // Whatever failed: the models return, every client and destroyer ends,
    // then each plane goes before the server that calls into it.
    Release();
    for (auto* f : {&live_, &pinned_}) {
      if (f->valid()) f->wait();
    }
    if (destroyed_.valid()) destroyed_.wait();
    if (left_.valid()) left_.wait();
    plane_.reset();
    server_.reset();
    upstream_.reset();
    upstream_server_.reset();
    fs::remove_all(dir_);
  }
  // Lets every gated model return.
  void Release() { std::ofstream(dir_ / "open"); }

  std::unique_ptr<DataPlane> Serve(const json& config, std::unique_ptr<HttpServer>* server) {
    auto plane = std::make_unique<DataPlane>(host_.get(), "test");
    auto started = HttpServer::Start({}, plane.get());
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (started.ok()) *server = std::move(started).value();
    auto parsed = config::ParseServerConfig(config.dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (parsed.ok()) {
      Status applied = plane->Apply(*parsed);
      EXPECT_TRUE(applied.ok()) << applied.ToString();
    }
    return plane;
  }
  // Waits as long as a model may: a queued copy must stay queued.
  static json Deployment() {
    return {{"authEnabled", false}, {"maxQueueWaitMs", 60000}, {"scoringTimeoutMs", 60000}};
  }
  json Version(const std::string& name, int traffic, bool is_default, int shadow = 0) const {
    json v = {{"name", name},
              {"trafficPercentile", traffic},
              {"isDefault", is_default},
              {"artifactPath", gated_},
              {"inferenceConfig", InferenceConfig()}};
    if (shadow > 0) v["shadowPercentile"] = shadow;
    return v;
  }
  // `svc`: `live` (gated, every drawn request), `sh` (gated, a copy of every
  // request) and `up` (pinned requests only), whose upstream is a second
  // data plane with one gated version.
  void StartRouterWithUpstream() {
    upstream_ = Serve({{"service", "ep"},
                       {"deploymentConfig", Deployment()},
                       {"versions", {Version("v", 100, true)}}},
                      &upstream_server_);
    json up = {{"name", "up"},
               {"trafficPercentile", 0},
               {"isDefault", false},
               {"upstream", "http://127.0.0.1:" + std::to_string(upstream_server_->port()) +
                                "/v2/models/ep/infer"},
               {"inferenceConfig", InferenceConfig()}};
    plane_ = Serve({{"service", "svc"},
                    {"deploymentConfig", Deployment()},
                    {"versions", {Version("live", 100, true), up, Version("sh", 0, false, 100)}}},
                   &server_);
  }
  std::future<Reply> Post(std::map<std::string, std::string> headers = {}) {
    const uint16_t port = server_->port();
    return std::async(std::launch::async, [port, headers] {
      return HttpClient(port).Post("/v2/models/svc/infer", kBody, headers);
    });
  }
  double ShadowQueueDepth() const {
    return Series(plane_->metrics_registry().RenderPrometheusText(),
                  "skiff_shadow_queue_depth{service=\"svc\"}");
  }

  fs::path dir_;
  std::string gated_;  // artifact: the model waits for dir_/open
  std::unique_ptr<PluginHost> host_;
  std::unique_ptr<DataPlane> upstream_;
  std::unique_ptr<HttpServer> upstream_server_;
  std::unique_ptr<DataPlane> plane_;
  std::unique_ptr<HttpServer> server_;  // in front of plane_
  // Members, so that TearDown releases the models before they are waited for.
  std::future<Reply> live_, pinned_;
  std::future<void> destroyed_;
  std::future<int64_t> left_;
};

// Before the fix the destructor freed the metrics first and then waited for
// the versions: the released live worker recorded its answer into freed
// metrics, and nobody answered the clients until the models returned.
TEST_F(DataPlaneTeardownTest, DestroyingWithRequestsInFlightAnswersThemAndJoinsOnceModelsReturn) {
  StartRouterWithUpstream();
  live_ = Post();
  pinned_ = Post({{"azureml-model-deployment", "up"}});
  // Both in the router, the pinned one's call held by the upstream server,
  // and both copies out to `sh` (one scoring, one queued behind it).
  ASSERT_TRUE(WaitUntil([&] {
    return plane_->in_flight() == 2 && upstream_->in_flight() == 1 && ShadowQueueDepth() == 2;
  })) << "router in flight " << plane_->in_flight() << ", upstream " << upstream_->in_flight()
      << ", shadow queue " << ShadowQueueDepth();

  destroyed_ =
      std::async(std::launch::async, [plane = std::move(plane_)]() mutable { plane.reset(); });
  // Answered while every model still blocks: nothing waits for them.
  ASSERT_EQ(live_.wait_for(kBound), std::future_status::ready);
  ASSERT_EQ(pinned_.wait_for(kBound), std::future_status::ready);
  const Reply a = live_.get(), b = pinned_.get();
  EXPECT_EQ(a.status, 503) << a.body;
  EXPECT_NE(a.body.find("shutting down"), std::string::npos) << a.body;
  EXPECT_EQ(b.status, 503) << b.body;
  // The destructor returns only once the workers left the models.
  EXPECT_EQ(destroyed_.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  Release();
  ASSERT_EQ(destroyed_.wait_for(kBound), std::future_status::ready)
      << "the data plane was not destroyed within 30 s of its models returning";
  destroyed_.get();
  // The upstream server answered the router's call once its model returned.
  EXPECT_TRUE(WaitUntil([&] { return upstream_->in_flight() == 0; }));
}

// Shutdown(grace) drains: a request whose model returns within the grace
// gets its answer, new ones get 503, and the configuration can no longer
// change.
TEST_F(DataPlaneTeardownTest, ShutdownDrainsWithinTheGraceThenRefuses) {
  plane_ = Serve({{"service", "svc"},
                  {"deploymentConfig", Deployment()},
                  {"versions", {Version("live", 100, true)}}},
                 &server_);
  live_ = Post();
  ASSERT_TRUE(WaitUntil([&] { return plane_->in_flight() == 1; }));
  left_ = std::async(std::launch::async, [&] {
    return plane_->Shutdown(std::chrono::duration_cast<std::chrono::milliseconds>(kBound));
  });
  // Draining (readiness 503) shows Shutdown has begun; then the model returns.
  ASSERT_TRUE(WaitUntil([&] {
    return HttpClient(server_->port()).Get("/v2/health/ready").status == 503;
  }));
  Release();
  ASSERT_EQ(left_.wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(left_.get(), 0) << "the request finished within the grace";
  const Reply a = live_.get();
  EXPECT_EQ(a.status, 200) << a.body;
  const Reply late = HttpClient(server_->port()).Post("/v2/models/svc/infer", kBody);
  EXPECT_EQ(late.status, 503) << late.body;
  auto again = config::ParseServerConfig(json({{"service", "svc"},
                                               {"deploymentConfig", Deployment()},
                                               {"versions", {Version("live", 100, true)}}})
                                             .dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(plane_->Apply(*again).code(), StatusCode::kUnavailable);
  EXPECT_EQ(plane_->Shutdown(std::chrono::milliseconds(0)), 0);
}

}  // namespace
}  // namespace skiff::dataplane
