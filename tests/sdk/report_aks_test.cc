// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 4 on AKS, through the real CLI (docs/reliability.md "Issue
// 22: AKS exposure log"): `skiff endpoint report -n EP` without
// --exposure-log reads every router pod's exposure log through the
// Kubernetes API's pod proxy (FakeKubeApi relaying to each pod's metrics
// listener: the real MetricsEndpoint over a log the real JsonlWriter wrote),
// merges them, and reports each version's figures exactly; a router that
// cannot be read is a note naming the pod, not a failed report.
#include <map>
#include <string>

#include "cli_aks_harness.h"
#include "router_listener.h"

namespace skiff::testing {
namespace {

using nlohmann::json;

struct Counts {
  int requests = 0, errors = 0, client_errors = 0;
};

class EndpointReportAks : public AksCliFixture {
 protected:
  // `n` lines of a router's log, versions and statuses in a fixed pattern,
  // counted into `expected`; the log rotates every 16 KiB (~110 lines) and
  // keeps 5 rotated files, so none of these lines is rotated away.
  void WriteRouterLog(const std::string& path, int n, int seed,
                      std::map<std::string, Counts>* expected) {
    auto writer = dataplane::JsonlWriter::Open(path, {16 * 1024, 5});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (int i = 0; i < n; ++i) {
      const int k = i + seed;
      const std::string version = k % 5 == 0 ? "b" : "a";
      const int status = k % 7 == 0 ? 503 : (k % 11 == 0 ? 400 : 200);
      (*writer)->Append(ExposureLine(k, version, status, 2 + k % 5));
      Counts& c = (*expected)[version];
      ++c.requests;
      if (status >= 500) ++c.errors;
      if (status >= 400 && status < 500) ++c.client_errors;
    }
  }
  void PutRouterPod(FakeKubeApi& kube, const std::string& pod) {
    kube.PutPod(RunningPodOf(kube, "shop-router", pod));
  }
};

TEST_F(EndpointReportAks, ReadsEveryRouterPodThroughTheKubernetesApi) {
  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "prod1");
  ASSERT_EQ(AttachExisting("prodaks", "prod1").rc, 0);
  UseCluster("prodaks", kube);
  RegisterMlp(R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml"})");
  LoadBalancerStandIn lb(kube, "/api/v1/namespaces/ml/services/shop", "20.0.0.8");
  Result created =
      Skiff({"endpoint", "create", "-n", "shop", "--ct", "prodaks", "--version-name", "a", "-m",
             "mlp:1", "--ic", Path("ic.json"), "--dc", Path("dc.json"), "--routing-key-header",
             "x-user-id", "--is-control-version-type", "true"});
  lb.Stop();
  ASSERT_EQ(created.rc, 0) << created.err;
  Result added = Skiff({"endpoint", "create-version", "-n", "shop", "--version-name", "b", "-m",
                        "mlp:1", "--ic", Path("ic.json"), "--traffic-percentile", "20"});
  ASSERT_EQ(added.rc, 0) << added.err;

  // Two routers with different logs (one rotated several times), and one
  // whose listener serves no exposure log (an image from before it did).
  std::map<std::string, Counts> expected;
  WriteRouterLog(Path("router-a/exposure.jsonl"), 300, 0, &expected);
  WriteRouterLog(Path("router-b/exposure.jsonl"), 70, 1000, &expected);
  ASSERT_TRUE(std::filesystem::exists(Path("router-a/exposure.jsonl.2"))) << "a rotated log";
  RouterListener a(Path("router-a/exposure.jsonl"));
  RouterListener b(Path("router-b/exposure.jsonl"));
  RouterListener c("");
  PutRouterPod(kube, "shop-router-a");
  PutRouterPod(kube, "shop-router-b");
  PutRouterPod(kube, "shop-router-c");
  kube.SetPodProxyUpstream("ml", "shop-router-a", 9090, a.url());
  kube.SetPodProxyUpstream("ml", "shop-router-b", 9090, b.url());
  kube.SetPodProxyUpstream("ml", "shop-router-c", 9090, c.url());

  Result r = Skiff({"endpoint", "report", "-n", "shop", "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json report = json::parse(r.out);
  EXPECT_EQ(report["source"], "exposureLog") << report.dump();
  EXPECT_EQ(report["exposureSources"], json::array({"shop-router-a", "shop-router-b"}));
  EXPECT_EQ(report["control"], "a");
  int64_t all = 0;
  for (const auto& [name, want] : expected) {
    const json* v = nullptr;
    for (const auto& version : report["versions"]) {
      if (version["name"] == name) v = &version;
    }
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ((*v)["requests"], want.requests) << name;
    EXPECT_EQ((*v)["errors"], want.errors) << name;
    EXPECT_EQ((*v)["clientErrors"], want.client_errors) << name;
    EXPECT_DOUBLE_EQ((*v)["errorRate"].get<double>(),
                     static_cast<double>(want.errors) / want.requests)
        << name;
    all += want.requests;
  }
  EXPECT_EQ(all, 370);
  int64_t bucketed = 0;
  for (const auto& bucket : report["traffic"]) {
    for (const auto& [name, n] : bucket["requests"].items()) bucketed += n.get<int64_t>();
  }
  EXPECT_EQ(bucketed, all) << "both routers' lines in the traffic over time";
  bool named = false;
  for (const auto& note : report["notes"]) {
    const std::string text = note.get<std::string>();
    if (text.find("shop-router-c") != std::string::npos) {
      named = true;
      EXPECT_NE(text.find("HTTP 404"), std::string::npos) << text;
    }
  }
  EXPECT_TRUE(named) << "the unreadable router is named: " << report["notes"].dump();

  // The table says the same, and where the figures come from.
  Result table = Skiff({"endpoint", "report", "-n", "shop"});
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_NE(table.out.find("read from 2 router pod(s): shop-router-a, shop-router-b"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("note: The exposure log of router pod shop-router-c"), std::string::npos)
      << table.out;
}

}  // namespace
}  // namespace skiff::testing
