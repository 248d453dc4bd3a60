// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 2 (docs/reliability.md "Issue 22: shadow traffic"): shadow
// traffic on real loopback DataPlanes with the test accelerator. The live
// answer always comes from the live version; a copy of the drawn share goes
// to the shadow version, whose answer is compared (max abs diff, argmax,
// error mismatch, latency delta) into the skiff_shadow_* series; a shadow
// version that does not answer never holds up a live request, and copies past
// the queue are dropped and counted. The same through a router whose versions
// are upstream servers. Plus CompareOutputs alone and the config's rules.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_client.h"
#include "skiff/dataplane/data_plane.h"
#include "skiff/dataplane/shadow_traffic.h"
#include "test_fixtures.h"

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Reply;

// ---- CompareOutputs ---------------------------------------------------------

Tensor Fp32(const std::string& name, std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t{name, DataType::kFp32, std::move(shape), std::vector<uint8_t>(values.size() * 4)};
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

TEST(ShadowCompareOutputs, IdenticalAnswersAgreeWithNoDifference) {
  const std::vector<Tensor> live = {Fp32("p", {2, 3}, {0.1f, 0.7f, 0.2f, 0.5f, 0.4f, 0.1f})};
  auto a = CompareOutputs(live, live);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(a[0].comparable);
  EXPECT_EQ(a[0].max_abs_diff, 0.0);
  ASSERT_TRUE(a[0].argmax_agrees.has_value());
  EXPECT_TRUE(*a[0].argmax_agrees);
}

TEST(ShadowCompareOutputs, ArgmaxDisagreesWhenAnyRowDisagrees) {
  const std::vector<Tensor> live = {Fp32("p", {2, 3}, {0.1f, 0.7f, 0.2f, 0.5f, 0.4f, 0.1f})};
  // Row 0 agrees (index 1), row 1 does not (0 vs 1); largest gap 0.35.
  const std::vector<Tensor> shadow = {Fp32("p", {2, 3}, {0.1f, 0.8f, 0.2f, 0.3f, 0.75f, 0.1f})};
  auto a = CompareOutputs(live, shadow);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_NEAR(a[0].max_abs_diff, 0.35, 1e-6);
  EXPECT_FALSE(*a[0].argmax_agrees);
}

TEST(ShadowCompareOutputs, NoClassAxisNoArgmaxAndMismatchesAreNotCompared) {
  // [batch] has no class axis; [batch, 1] neither (one class).
  auto a = CompareOutputs({Fp32("s", {3}, {1, 2, 3}), Fp32("t", {2, 1}, {1, 2})},
                          {Fp32("s", {3}, {1, 2, 4}), Fp32("t", {2, 1}, {1, 2})});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].max_abs_diff, 1.0);
  EXPECT_FALSE(a[0].argmax_agrees.has_value());
  EXPECT_FALSE(a[1].argmax_agrees.has_value());
  // Missing, another shape, another datatype: not comparable.
  Tensor as_int = Fp32("u", {1, 2}, {1, 2});
  as_int.dtype = DataType::kInt32;
  auto m = CompareOutputs({Fp32("p", {1, 2}, {1, 2}), Fp32("q", {1, 2}, {1, 2}),
                           Fp32("u", {1, 2}, {1, 2})},
                          {Fp32("q", {2, 1}, {1, 2}), as_int});
  ASSERT_EQ(m.size(), 3u);
  for (const auto& o : m) EXPECT_FALSE(o.comparable) << o.output;
}

// ---- The data plane -----------------------------------------------------------

json InferenceConfig() {
  return {{"accelerator", "testmodel"},
          {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
          {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
}

const std::string kBody =
    R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})";

// The value of one series in a text exposition ("" labels: the first match
// of `series` as written, e.g. `skiff_shadow_requests_total{...}`); 0 absent.
double Series(const std::string& text, const std::string& series) {
  const size_t at = text.find(series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 1));
}

std::string Requests(const std::string& version, const std::string& outcome) {
  return "skiff_shadow_requests_total{service=\"svc\",version=\"" + version + "\",outcome=\"" +
         outcome + "\"}";
}

class ShadowTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = skiff::testing::FreshTestDir("shadow");
    host_ = skiff::testing::TestPluginHost();
  }
  void TearDown() override {
    // A gated shadow model is let go, so its worker can finish.
    std::ofstream(dir_ / "open");
    for (auto& s : servers_) s.reset();
    for (auto& p : planes_) p.reset();
    fs::remove_all(dir_);
  }

  // An artifact for the test model with `settings` (scale=, gate=, fail=).
  std::string Artifact(const std::string& name, const std::string& settings) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << settings;
    return path;
  }
  static json Version(const std::string& name, const std::string& artifact, int traffic,
                      bool is_default, int shadow) {
    json v = {{"name", name},
              {"trafficPercentile", traffic},
              {"isDefault", is_default},
              {"artifactPath", artifact},
              {"inferenceConfig", InferenceConfig()}};
    if (shadow > 0) v["shadowPercentile"] = shadow;
    return v;
  }
  // Starts a data plane behind a loopback HttpServer with `config`.
  DataPlane* Start(const json& config) {
    planes_.push_back(std::make_unique<DataPlane>(host_.get(), "test"));
    auto server = HttpServer::Start({}, planes_.back().get());
    EXPECT_TRUE(server.ok());
    servers_.push_back(std::move(server).value());
    auto parsed = config::ParseServerConfig(config.dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (parsed.ok()) {
      Status applied = planes_.back()->Apply(*parsed);
      EXPECT_TRUE(applied.ok()) << applied.ToString();
    }
    return planes_.back().get();
  }
  uint16_t port() const { return servers_.back()->port(); }

  // Polls the metrics until `series` reaches `want` (comparisons finish after
  // the client has its answer), at most 30 s; returns the last text.
  static std::string WaitFor(const DataPlane* plane, const std::string& series, double want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string text;
    do {
      text = plane->metrics_registry().RenderPrometheusText();
      if (Series(text, series) >= want) return text;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (std::chrono::steady_clock::now() < deadline);
    ADD_FAILURE() << series << " never reached " << want << "\n" << text;
    return text;
  }

  fs::path dir_;
  std::unique_ptr<PluginHost> host_;
  std::vector<std::unique_ptr<DataPlane>> planes_;
  std::vector<std::unique_ptr<HttpServer>> servers_;
};

// An identical shadow agrees on every pair with difference 0; a different
// one (y = -x instead of 2x) disagrees on argmax with max |diff| 12; the
// client only ever sees the live version's answer.
TEST_F(ShadowTrafficTest, ComparesEveryPairAndAnswersFromTheLiveVersion) {
  DataPlane* plane =
      Start({{"service", "svc"},
             {"deploymentConfig", {{"authEnabled", false}}},
             {"versions",
              {Version("live", "/dev/null", 0, true, 0),
               Version("same", Artifact("same", "scale=2\n"), 0, false, 100),
               Version("neg", Artifact("neg", "scale=-1\n"), 0, false, 100)}}});
  HttpClient c(port());
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    Reply r = c.Post("/v2/models/svc/infer", kBody);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("azureml-model-deployment"), "live");
    EXPECT_EQ(json::parse(r.body)["outputs"][0]["data"], json({2.0, 4.0, 6.0, 8.0}));
  }
  WaitFor(plane, Requests("same", "compared"), kRequests);
  const std::string text = WaitFor(plane, Requests("neg", "compared"), kRequests);
  auto labels = [](const std::string& v) {
    return "{service=\"svc\",version=\"" + v + "\",output=\"y\"}";
  };
  EXPECT_EQ(Series(text, "skiff_shadow_argmax_compared_total" + labels("same")), kRequests);
  EXPECT_EQ(Series(text, "skiff_shadow_argmax_agreement_total" + labels("same")), kRequests);
  EXPECT_EQ(Series(text, "skiff_shadow_max_abs_diff_bucket{service=\"svc\",version=\"same\","
                         "output=\"y\",le=\"0\"}"),
            kRequests)
      << "identical answers: every difference is 0";
  EXPECT_EQ(Series(text, "skiff_shadow_argmax_compared_total" + labels("neg")), kRequests);
  EXPECT_EQ(Series(text, "skiff_shadow_argmax_agreement_total" + labels("neg")), 0);
  // |2 * 4 - (-1 * 4)| = 12 on every pair.
  EXPECT_DOUBLE_EQ(Series(text, "skiff_shadow_max_abs_diff_sum" + labels("neg")), 12.0 * kRequests);
  EXPECT_EQ(Series(text, "skiff_shadow_latency_delta_seconds_count{service=\"svc\",version=\"neg\"}"),
            kRequests);
  EXPECT_EQ(Series(text, Requests("neg", "dropped")), 0);
  EXPECT_EQ(Series(text, Requests("neg", "error")), 0);
  // Shadow copies are not the shadow version's live traffic.
  EXPECT_EQ(Series(text, "skiff_requests_total{service=\"svc\",version=\"neg\",code=\"200\",protocol=\"http\"}"), 0);
  // A request pinned to the shadow version is its own: answered, not copied.
  Reply pinned = c.Post("/v2/models/svc/infer", kBody, {{"azureml-model-deployment", "neg"}});
  EXPECT_EQ(pinned.header("azureml-model-deployment"), "neg");
  EXPECT_EQ(json::parse(pinned.body)["outputs"][0]["data"], json({-1.0, -2.0, -3.0, -4.0}));
}

// A shadow version that does not answer (its model waits on a gate) with a
// queue of one: the first copy holds the slot, every later one is dropped and
// counted, and every live request is answered by the live version meanwhile.
TEST_F(ShadowTrafficTest, AStuckShadowNeverHoldsUpLiveRequestsAndDropsPastItsQueue) {
  const std::string gate = (dir_ / "open").string();
  DataPlane* plane = Start(
      {{"service", "svc"},
       {"deploymentConfig", {{"authEnabled", false}, {"shadowQueueSize", 1}}},
       {"versions",
        {Version("live", "/dev/null", 0, true, 0),
         Version("slow", Artifact("slow", "gate=" + gate + "\n"), 0, false, 100)}}});
  HttpClient c(port());
  constexpr int kRequests = 10;
  for (int i = 0; i < kRequests; ++i) {
    Reply r = c.Post("/v2/models/svc/infer", kBody);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("azureml-model-deployment"), "live");
  }
  std::string text = plane->metrics_registry().RenderPrometheusText();
  EXPECT_EQ(Series(text, Requests("slow", "dropped")), kRequests - 1);
  EXPECT_EQ(Series(text, "skiff_shadow_queue_depth{service=\"svc\"}"), 1);
  EXPECT_EQ(Series(text, Requests("slow", "compared")), 0);
  std::ofstream(gate).flush();  // the shadow answers; its pair is compared
  text = WaitFor(plane, Requests("slow", "compared"), 1);
  EXPECT_EQ(Series(text, "skiff_shadow_queue_depth{service=\"svc\"}"), 0);
}

// One side fails, the other answers: an error mismatch naming the failed side.
TEST_F(ShadowTrafficTest, CountsErrorMismatches) {
  DataPlane* plane =
      Start({{"service", "svc"},
             {"deploymentConfig", {{"authEnabled", false}}},
             {"versions",
              {Version("live", "/dev/null", 0, true, 0),
               Version("broken", Artifact("broken", "fail=1\n"), 0, false, 100)}}});
  HttpClient c(port());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.Post("/v2/models/svc/infer", kBody).status, 200);
  const std::string text = WaitFor(plane, Requests("broken", "error"), 3);
  EXPECT_EQ(Series(text, "skiff_shadow_error_mismatch_total{service=\"svc\",version=\"broken\","
                         "failed=\"shadow\"}"),
            3);
}

// A 0 share copies nothing; a 20 % share copies about a fifth.
TEST_F(ShadowTrafficTest, CopiesTheDrawnShare) {
  DataPlane* plane = Start(
      {{"service", "svc"},
       {"routingSeed", 7},
       {"deploymentConfig", {{"authEnabled", false}}},
       {"versions",
        {Version("live", "/dev/null", 0, true, 0),
         Version("fifth", Artifact("fifth", "scale=2\n"), 0, false, 20),
         Version("none", "/dev/null", 0, false, 0)}}});
  HttpClient c(port());
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) ASSERT_EQ(c.Post("/v2/models/svc/infer", kBody).status, 200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string text;
  double copied = 0;
  do {  // until every copy drawn is compared (nothing is out)
    text = plane->metrics_registry().RenderPrometheusText();
    copied = Series(text, Requests("fifth", "compared"));
    if (Series(text, "skiff_shadow_queue_depth{service=\"svc\"}") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  // 200 draws at 20 %: mean 40, sd ~5.7; [15, 70] is ~4.4 sd either way.
  EXPECT_GE(copied, 15);
  EXPECT_LE(copied, 70);
  EXPECT_EQ(text.find("version=\"none\",outcome"), std::string::npos) << "no series for a 0 share";
}

// The Kubernetes layout: the router's versions are upstream servers, and the
// router copies the share to the shadow version's upstream.
TEST_F(ShadowTrafficTest, TheRouterCopiesToTheShadowUpstream) {
  Start({{"service", "svc"},
         {"deploymentConfig", {{"authEnabled", false}}},
         {"versions", {Version("neg", Artifact("neg", "scale=-1\n"), 0, true, 0)}}});
  const uint16_t neg_port = port();
  Start({{"service", "svc"},
         {"deploymentConfig", {{"authEnabled", false}}},
         {"versions", {Version("live", "/dev/null", 0, true, 0)}}});
  const uint16_t live_port = port();
  auto upstream = [](const std::string& name, uint16_t p, bool is_default, int shadow) {
    json v = {{"name", name},
              {"isDefault", is_default},
              {"upstream", "http://127.0.0.1:" + std::to_string(p) + "/v2/models/svc/infer"},
              {"inferenceConfig", InferenceConfig()}};
    if (shadow > 0) v["shadowPercentile"] = shadow;
    return v;
  };
  DataPlane* router = Start({{"service", "svc"},
                             {"deploymentConfig", {{"authEnabled", false}}},
                             {"versions",
                              {upstream("live", live_port, true, 0),
                               upstream("neg", neg_port, false, 100)}}});
  HttpClient c(port());
  for (int i = 0; i < 5; ++i) {
    Reply r = c.Post("/v2/models/svc/infer", kBody);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("azureml-model-deployment"), "live");
    EXPECT_EQ(json::parse(r.body)["outputs"][0]["data"], json({2.0, 4.0, 6.0, 8.0}));
  }
  const std::string text = WaitFor(router, Requests("neg", "compared"), 5);
  EXPECT_DOUBLE_EQ(Series(text, "skiff_shadow_max_abs_diff_sum{service=\"svc\",version=\"neg\","
                                "output=\"y\"}"),
                   12.0 * 5);
  EXPECT_EQ(Series(text, "skiff_shadow_argmax_agreement_total{service=\"svc\",version=\"neg\","
                         "output=\"y\"}"),
            0);
}

// ---- The config's rules ---------------------------------------------------------

TEST(ShadowConfig, ShadowPercentileRulesNameTheField) {
  auto parse = [](json second) {
    json config = {{"service", "svc"},
                   {"deploymentConfig", {{"authEnabled", false}}},
                   {"versions",
                    {{{"name", "a"},
                      {"isDefault", true},
                      {"artifactPath", "/dev/null"},
                      {"inferenceConfig", InferenceConfig()}},
                     second}}};
    return config::ParseServerConfig(config.dump()).status();
  };
  json b = {{"name", "b"}, {"artifactPath", "/dev/null"}, {"inferenceConfig", InferenceConfig()}};
  json ok = b;
  ok["shadowPercentile"] = 20;
  EXPECT_TRUE(parse(ok).ok()) << parse(ok).ToString();
  auto parsed = config::ParseServerConfig(
      json{{"service", "svc"},
           {"deploymentConfig", {{"authEnabled", false}}},
           {"versions",
            {{{"name", "a"}, {"isDefault", true}, {"artifactPath", "/dev/null"},
              {"inferenceConfig", InferenceConfig()}},
             ok}}}
          .dump());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->versions[1].shadow_percentile, 20);
  EXPECT_EQ(config::ToJson(*parsed)["versions"][1]["shadowPercentile"], 20);
  EXPECT_FALSE(config::ToJson(*parsed)["versions"][0].contains("shadowPercentile"));

  json too_big = b;
  too_big["shadowPercentile"] = 101;
  EXPECT_NE(parse(too_big).message().find("$.versions[1].shadowPercentile` must be 0-100"),
            std::string::npos)
      << parse(too_big).message();
  json with_traffic = ok;
  with_traffic["trafficPercentile"] = 10;
  EXPECT_NE(parse(with_traffic).message().find("and `trafficPercentile` (10) are both set"),
            std::string::npos)
      << parse(with_traffic).message();
  // The default answers the live traffic: it cannot be its own shadow.
  json lone = {{"service", "svc"},
               {"deploymentConfig", {{"authEnabled", false}}},
               {"versions",
                {{{"name", "a"}, {"isDefault", true}, {"shadowPercentile", 5},
                  {"artifactPath", "/dev/null"}, {"inferenceConfig", InferenceConfig()}},
                 b}}};
  Status refused = config::ParseServerConfig(lone.dump()).status();
  EXPECT_NE(refused.message().find("the default version 'a'"), std::string::npos)
      << refused.message();
  json other_signature = ok;
  other_signature["inferenceConfig"]["inputs"][0]["shape"] = {-1, 5};
  EXPECT_NE(parse(other_signature).message().find("input 'x'"), std::string::npos)
      << parse(other_signature).message();
  // The queue size: a deploymentConfig extension, 1-100000.
  auto dc = config::ParseDeploymentConfig(R"({"shadowQueueSize": 0})");
  EXPECT_FALSE(dc.ok());
  EXPECT_NE(dc.status().message().find("shadowQueueSize"), std::string::npos);
  EXPECT_EQ(config::ParseDeploymentConfig("{}")->shadow_queue_size, 64);
}

}  // namespace
}  // namespace skiff::dataplane
