// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 4 on AKS (docs/reliability.md "Issue 22: AKS exposure log"):
// ComputeTarget::ReadExposureLog pages through each router pod's GET
// /exposure through the Kubernetes API's pod proxy. The cluster is
// FakeKubeApi; each router pod's metrics port is the real MetricsEndpoint
// over an exposure log the real JsonlWriter wrote and rotated (the fake's
// proxy relays to it). A router that cannot be read is reported by name
// and the others are still read; version pods are never read.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "aks_compute_target.h"
#include "aks_target_fixture.h"
#include "fake_kube_api.h"
#include "router_listener.h"
#include "sample_specs.h"

namespace skiff::compute_aks {
namespace {

using kube::testing::FakeKubeApi;
using nlohmann::json;
namespace fs = std::filesystem;
using k8s::testing::MakeSpec;
using k8s::testing::SampleVersion;

// What ReadExposureLog handed over, by pod.
class CollectingSink final : public ExposureLogSink {
 public:
  bool Write(const std::string& source, std::string_view lines) override {
    text[source].append(lines);
    ++pages[source];
    return true;
  }
  void Incomplete(const std::string& source, const std::string& reason) override {
    incomplete[source] += reason;
  }
  std::map<std::string, std::string> text;
  std::map<std::string, int> pages;
  std::map<std::string, std::string> incomplete;
};

class ComputeAksExposureLogTest : public testing::AksTargetFixture {
 protected:

  void PutPod(const std::string& deployment, const std::string& pod) {
    json d = *api_.Object("/apis/apps/v1/namespaces/ml/deployments/" + deployment);
    api_.PutPod({{"metadata",
                  {{"name", pod},
                   {"namespace", "ml"},
                   {"labels", d["spec"]["template"]["metadata"]["labels"]}}},
                 {"spec", d["spec"]["template"]["spec"]},
                 {"status", {{"phase", "Running"}}}});
  }
  // `n` exposure lines of `version` written by the real writer, rotating
  // past `max_bytes` (0: never); returns the files' text, oldest first.
  std::string WriteLog(const std::string& path, const std::string& version, int n,
                       uint64_t max_bytes) {
    auto writer = dataplane::JsonlWriter::Open(path, {max_bytes, 5});
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    for (int i = 0; i < n; ++i) {
      (*writer)->Append(
          skiff::testing::ExposureLine(i, version, i % 10 == 0 ? 503 : 200, 1 + i % 7));
    }
    return skiff::testing::ReadRotated(path);
  }

};

TEST_F(ComputeAksExposureLogTest, EveryRouterPodsLogIsPagedThroughThePodProxy) {
  ServiceSpec two = MakeSpec("ep1", R"({"namespace": "ml"})",
                             {SampleVersion{"blue", 90, true}, SampleVersion{"green", 10, false}});
  ASSERT_TRUE(target_->DeployService(two).ok());
  PutPod("ep1-router", "ep1-router-a");
  PutPod("ep1-router", "ep1-router-b");
  PutPod("ep1-router", "ep1-router-c");
  PutPod("ep1-green", "ep1-green-a");
  // a: ~1.5 MiB over three files (more than one 1 MiB page); b: a short
  // log; c: a router with no exposure log to serve (GET /exposure is 404).
  const std::string a = WriteLog(ws_ + "/a/exposure.jsonl", "blue", 12000, 600 * 1024);
  const std::string b = WriteLog(ws_ + "/b/exposure.jsonl", "green", 40, 0);
  ASSERT_TRUE(fs::exists(ws_ + "/a/exposure.jsonl.2"));
  ASSERT_GT(a.size(), size_t{1024 * 1024});
  skiff::testing::RouterListener router_a(ws_ + "/a/exposure.jsonl");
  skiff::testing::RouterListener router_b(ws_ + "/b/exposure.jsonl");
  skiff::testing::RouterListener router_c("");
  api_.SetPodProxyUpstream("ml", "ep1-router-a", 9090, router_a.url());
  api_.SetPodProxyUpstream("ml", "ep1-router-b", 9090, router_b.url());
  api_.SetPodProxyUpstream("ml", "ep1-router-c", 9090, router_c.url());
  api_.SetPodProxyUpstream("ml", "ep1-green-a", 9090, router_b.url());

  CollectingSink sink;
  const Status read = target_->ReadExposureLog("ep1", &sink);
  ASSERT_TRUE(read.ok()) << read.ToString();
  EXPECT_EQ(sink.text["ep1-router-a"], a) << "every file, oldest first, each line once";
  EXPECT_GE(sink.pages["ep1-router-a"], 2) << "paged, 1 MiB at most each";
  EXPECT_EQ(sink.text["ep1-router-b"], b);
  EXPECT_EQ(sink.incomplete.count("ep1-router-a"), 0u) << sink.incomplete["ep1-router-a"];
  EXPECT_EQ(sink.incomplete.count("ep1-router-b"), 0u);
  ASSERT_EQ(sink.incomplete.count("ep1-router-c"), 1u);
  EXPECT_NE(sink.incomplete["ep1-router-c"].find("HTTP 404"), std::string::npos)
      << sink.incomplete["ep1-router-c"];
  EXPECT_NE(sink.incomplete["ep1-router-c"].find("no exposure log"), std::string::npos)
      << sink.incomplete["ep1-router-c"];
  EXPECT_EQ(sink.text.count("ep1-router-c"), 0u);
  EXPECT_EQ(sink.text.count("ep1-green-a"), 0u) << "version pods are not read";
  EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/ml/pods/ep1-green-a:9090/proxy"), 0);
  // The pods' exposure logs only: what the API server relays, no more.
  EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/ml/pods/ep1-router-b:9090/proxy/exposure"), 1);
}

TEST_F(ComputeAksExposureLogTest, AServiceWithoutRouterPodsIsNotFound) {
  ASSERT_TRUE(target_
                  ->DeployService(
                      MakeSpec("ep1", R"({"namespace": "ml"})", {SampleVersion{"blue", 100, true}}))
                  .ok());
  CollectingSink sink;
  const Status read = target_->ReadExposureLog("ep1", &sink);
  EXPECT_EQ(read.code(), StatusCode::kNotFound) << read.ToString();
  EXPECT_NE(read.message().find("no router pod"), std::string::npos) << read.ToString();
}

}  // namespace
}  // namespace skiff::compute_aks
