// SPDX-License-Identifier: Apache-2.0
// KubeClient against FakeKubeApi over http (loopback): apply, get, list,
// delete, update, and the error and retry paths. TLS: kube_tls_test.cc.
#include "kube/kube_client.h"

#include <gtest/gtest.h>

#include "fake_kube_api.h"

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;
using testing::FakeKubeApi;
using testing::KubeFault;

// Sleep() advances time at once and records the delays.
class InstantClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Sleep(std::chrono::milliseconds d) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(d);
    now_ += d;
  }
  std::vector<std::chrono::milliseconds> sleeps() {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  std::mutex mu_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::vector<std::chrono::milliseconds> sleeps_;
};

json Deployment(const std::string& name, int replicas, const std::string& image = "reg/model:1") {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata",
           {{"name", name},
            {"namespace", "ml"},
            {"labels", {{"app", name}, {"skiff.io/service", name}}}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "model"}, {"image", image}}}}}}}}}}};
}

json Namespace(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

class ComputeAksKubeClient : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<InstantClock>();
    client_ = MakeClient(FakeKubeApi::kToken);
  }

  std::unique_ptr<KubeClient> MakeClient(const std::string& token) {
    KubeClientOptions options;
    options.config.server = api_.url();
    options.config.token = token;
    options.clock = clock_;
    auto client = KubeClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  static constexpr const char* kDeployPath = "/apis/apps/v1/namespaces/ml/deployments/svc";

  FakeKubeApi api_;
  std::shared_ptr<InstantClock> clock_;
  std::unique_ptr<KubeClient> client_;
};

TEST_F(ComputeAksKubeClient, ApplyCreatesThenUpdatesWithServerSideApply) {
  ASSERT_TRUE(client_->Apply(Namespace("ml")).ok());
  auto created = client_->Apply(Deployment("svc", 2));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["metadata"]["generation"], 1);
  const std::string rv1 = (*created)["metadata"]["resourceVersion"];
  // The wire format: PATCH, apply-patch content type, fieldManager=skiff, no force.
  const auto requests = api_.requests();
  const auto& patch = requests.back();
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_EQ(patch.target, std::string(kDeployPath) + "?fieldManager=skiff");
  EXPECT_EQ(patch.headers.at("content-type"), "application/apply-patch+yaml");
  EXPECT_EQ(api_.Owners(kDeployPath, "/spec/replicas"), std::set<std::string>{"skiff"});

  auto updated = client_->Apply(Deployment("svc", 3));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ((*updated)["spec"]["replicas"], 3);
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], rv1);

  // Re-applying the same object changes nothing (no new resourceVersion).
  auto same = client_->Apply(Deployment("svc", 3));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)["metadata"]["resourceVersion"], (*updated)["metadata"]["resourceVersion"]);

  auto got = client_->Get({"apps/v1", "Deployment", "ml", "svc"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["spec"]["template"]["spec"]["containers"][0]["image"], "reg/model:1");
}

TEST_F(ComputeAksKubeClient, ApplyDropsFieldsSkiffNoLongerSets) {
  ASSERT_TRUE(client_->Apply(Namespace("ml")).ok());
  json with_annotation = Deployment("svc", 1);
  with_annotation["metadata"]["annotations"] = {{"skiff.io/note", "x"}};
  ASSERT_TRUE(client_->Apply(with_annotation).ok());
  ASSERT_TRUE(client_->Apply(Deployment("svc", 1)).ok());
  auto got = api_.Object(kDeployPath);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE((*got)["metadata"].value("annotations", json::object()).contains("skiff.io/note"))
      << got->dump();
}

TEST_F(ComputeAksKubeClient, ConflictWithAnotherManagerIsSurfacedAndNotForced) {
  ASSERT_TRUE(client_->Apply(Namespace("ml")).ok());
  ASSERT_TRUE(client_->Apply(Deployment("svc", 2)).ok());
  // Someone scales with kubectl (server-side) and takes spec.replicas.
  json scale = {{"apiVersion", "apps/v1"},
                {"kind", "Deployment"},
                {"metadata", {{"name", "svc"}, {"namespace", "ml"}}},
                {"spec", {{"replicas", 5}}}};
  ASSERT_EQ(api_.ApplyAs("kubectl", scale, /*force=*/true), 200);
  EXPECT_EQ(api_.Owners(kDeployPath, "/spec/replicas"), std::set<std::string>{"kubectl"});

  auto conflict = client_->Apply(Deployment("svc", 2));
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kAborted);
  const std::string& m = conflict.status().message();
  EXPECT_NE(m.find("HTTP 409 Conflict"), std::string::npos) << m;
  EXPECT_NE(m.find(".spec.replicas"), std::string::npos) << m;
  EXPECT_NE(m.find("conflict with \"kubectl\""), std::string::npos) << m;
  EXPECT_EQ(api_.Count("PATCH", "force=true"), 0);  // never forced on its own
  EXPECT_EQ((*api_.Object(kDeployPath))["spec"]["replicas"], 5);

  // The same value is no conflict (shared ownership); force takes it back.
  ASSERT_TRUE(client_->Apply(Deployment("svc", 5)).ok());
  auto forced = client_->Apply(Deployment("svc", 2), ApplyOptions{true});
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ((*forced)["spec"]["replicas"], 2);
  EXPECT_EQ(api_.Owners(kDeployPath, "/spec/replicas"), std::set<std::string>{"skiff"});
}

TEST_F(ComputeAksKubeClient, MissingObjectsAndNamespacesAre404) {
  auto missing = client_->Get({"apps/v1", "Deployment", "ml", "nope"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("deployments.apps \"nope\" not found"),
            std::string::npos)
      << missing.status().message();
  auto no_namespace = client_->Apply(Deployment("svc", 1));  // namespace ml does not exist yet
  ASSERT_FALSE(no_namespace.ok());
  EXPECT_EQ(no_namespace.status().code(), StatusCode::kNotFound);
  EXPECT_NE(no_namespace.status().message().find("namespaces \"ml\" not found"), std::string::npos);
  Status gone = client_->Delete({"v1", "Secret", "default", "nope"});
  EXPECT_EQ(gone.code(), StatusCode::kNotFound) << gone.ToString();
}

TEST_F(ComputeAksKubeClient, InvalidObjectsAre422WithTheFields) {
  ASSERT_TRUE(client_->Apply(Namespace("ml")).ok());
  json bad = Deployment("svc", 1);
  bad["spec"]["template"]["metadata"]["labels"]["app"] = "other";
  bad["spec"]["template"]["spec"]["containers"][0].erase("image");
  auto invalid = client_->Apply(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = invalid.status().message();
  EXPECT_NE(m.find("HTTP 422 Invalid"), std::string::npos) << m;
  EXPECT_NE(m.find("spec.template.metadata.labels"), std::string::npos) << m;
  EXPECT_NE(m.find("spec.template.spec.containers[0].image"), std::string::npos) << m;
  // Client-side checks before anything is sent: name and kind/group.
  json unnamed = Deployment("svc", 1);
  unnamed["metadata"].erase("name");
  EXPECT_EQ(client_->Apply(unnamed).status().code(), StatusCode::kInvalidArgument);
  json wrong_group = Deployment("svc", 1);
  wrong_group["apiVersion"] = "v1";
  auto refused = client_->Apply(wrong_group);
  EXPECT_NE(refused.status().message().find("belongs to API group 'apps'"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(api_.Count("PATCH", "/deployments/"), 1);
}

TEST_F(ComputeAksKubeClient, FakeServerEnforcesAuthContentTypeAndFieldManager) {
  auto anonymous = MakeClient("wrong-token");
  auto denied = anonymous->Get({"v1", "Namespace", "", "default"});
  EXPECT_EQ(denied.status().code(), StatusCode::kUnauthenticated) << denied.status().ToString();

  auto transport = MakeHttpClientTransport({});
  const auto send = [&](const std::string& content_type, const std::string& query) {
    HttpRequest r{"PATCH",
                  api_.url() + "/api/v1/namespaces/x" + query,
                  {{"Authorization", std::string("Bearer ") + FakeKubeApi::kToken},
                   {"Content-Type", content_type}},
                  Namespace("x").dump()};
    auto response = transport->Send(r);
    EXPECT_TRUE(response.ok());
    return response.ok() ? response->status : 0;
  };
  EXPECT_EQ(send("application/merge-patch+json", "?fieldManager=skiff"), 415);
  EXPECT_EQ(send("application/apply-patch+yaml", ""), 400);
  EXPECT_EQ(send("application/apply-patch+yaml", "?fieldManager=skiff"), 201);
  EXPECT_EQ(send("application/apply-patch+yaml", "?fieldManager=skiff"), 200);
}

TEST_F(ComputeAksKubeClient, TooManyRequestsIsRetriedAfterRetryAfter) {
  api_.AddFault({"PATCH /api/v1/namespaces/ml", 429, {{"Retry-After", "2"}}, 2});
  api_.AddFault({"GET /api/v1/namespaces/ml", 429, {{"Retry-After", "1"}}, 1});
  ASSERT_TRUE(client_->Apply(Namespace("ml")).ok());
  ASSERT_TRUE(client_->Get({"v1", "Namespace", "", "ml"}).ok());
  EXPECT_EQ(api_.Count("PATCH", "/api/v1/namespaces/ml"), 3);
  const std::vector<std::chrono::milliseconds> expected = {
      std::chrono::seconds(2), std::chrono::seconds(2), std::chrono::seconds(1)};
  EXPECT_EQ(clock_->sleeps(), expected);
}

TEST_F(ComputeAksKubeClient, TooManyRequestsGivesUpWithinTheBound) {
  api_.AddFault({"GET /api/v1/namespaces/default", 429, {{"Retry-After", "20"}}, 1000});
  auto result = client_->Get({"v1", "Namespace", "", "default"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted) << result.status().ToString();
  // 60 s total (KubeClientOptions::retry) at 20 s a time: 3 sleeps, 4 attempts.
  EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/default"), 4);
}

TEST_F(ComputeAksKubeClient, UpdateRereadsAndRetriesOnConflict) {
  ASSERT_TRUE(client_->Apply(Namespace("ml")).ok());
  ASSERT_TRUE(client_->Apply(Deployment("svc", 1)).ok());
  api_.InterfereWithNextUpdates(2);
  int calls = 0;
  auto updated = client_->Update({"apps/v1", "Deployment", "ml", "svc"}, [&](json& d) {
    ++calls;
    d["spec"]["replicas"] = 4;
    return OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(api_.Count("PUT", "/deployments/svc"), 3);
  EXPECT_EQ((*updated)["spec"]["replicas"], 4);
  // The other writer's change survived: each retry started from a fresh read.
  EXPECT_TRUE((*updated)["metadata"]["annotations"].contains("test/other-writer"));

  api_.InterfereWithNextUpdates(100);
  auto gave_up = client_->Update({"apps/v1", "Deployment", "ml", "svc"}, [](json& d) {
    d["spec"]["replicas"] = 6;
    return OkStatus();
  });
  ASSERT_FALSE(gave_up.ok());
  EXPECT_EQ(gave_up.status().code(), StatusCode::kAborted);
  EXPECT_NE(gave_up.status().message().find("after 6 attempts"), std::string::npos)
      << gave_up.status().message();
}

TEST_F(ComputeAksKubeClient, ListByLabelAndDelete) {
  ASSERT_TRUE(client_->Apply(Namespace("ml")).ok());
  for (const char* name : {"a", "b"}) {
    ASSERT_TRUE(client_
                    ->Apply({{"apiVersion", "v1"},
                             {"kind", "ConfigMap"},
                             {"metadata",
                              {{"name", name},
                               {"namespace", "ml"},
                               {"labels", {{"skiff.io/service", "svc"}, {"tier", name}}}}},
                             {"data", {{"k", "v"}}}})
                    .ok());
  }
  ASSERT_TRUE(
      client_
          ->Apply(
              {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata",
                {{"name", "c"}, {"namespace", "ml"}, {"labels", {{"skiff.io/service", "other"}}}}}})
          .ok());
  auto mine = client_->List("v1", "ConfigMap", "ml", "skiff.io/service=svc");
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0]["metadata"]["name"], "a");
  auto not_a = client_->List("v1", "ConfigMap", "ml", "skiff.io/service=svc,tier!=a");
  ASSERT_TRUE(not_a.ok());
  ASSERT_EQ(not_a->size(), 1u);
  EXPECT_EQ((*not_a)[0]["metadata"]["name"], "b");

  ASSERT_TRUE(client_->Delete({"v1", "ConfigMap", "ml", "a"}, DeletePropagation::kForeground).ok());
  EXPECT_EQ(api_.Count("DELETE", "/api/v1/namespaces/ml/configmaps/a?propagationPolicy=Foreground"),
            1);
  auto left = client_->List("v1", "ConfigMap", "ml", "skiff.io/service=svc");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->size(), 1u);
  EXPECT_EQ(client_->Get({"v1", "ConfigMap", "ml", "a"}).status().code(), StatusCode::kNotFound);
}

TEST_F(ComputeAksKubeClient, RefusesPlainHttpToNonLoopback) {
  KubeClientOptions options;
  options.config.server = "http://10.1.2.3:8080";
  options.config.token = "t";
  auto client = KubeClient::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("kubeconfig server"), std::string::npos)
      << client.status().ToString();
}

}  // namespace
}  // namespace skiff::compute_aks::kube
