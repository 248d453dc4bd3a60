// SPDX-License-Identifier: Apache-2.0
// Services on the AKS target (compute-aks part 2) end to end through the
// plugin object: the renderer's objects are server-side applied to
// FakeKubeApi (which enforces SSA semantics), state follows the rollouts and
// the router's load balancer, Unschedulable/CrashLoopBackOff map to
// Unhealthy/Failed with the pod's reason, logs come from the model pods, an
// update prunes what is no longer rendered, and delete removes exactly the
// service's labelled objects.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "skiff/metrics/load_report.h"
#include "aks_compute_target.h"
#include "aks_target_fixture.h"
#include "fake_kube_api.h"
#include "sample_specs.h"

namespace skiff::compute_aks {
namespace {

using kube::testing::FakeKubeApi;
using nlohmann::json;
namespace fs = std::filesystem;
using k8s::testing::MakeSpec;
using k8s::testing::SampleVersion;

json DeployStatus(int64_t observed, int64_t replicas, int64_t updated, int64_t available) {
  return {{"observedGeneration", observed},
          {"replicas", replicas},
          {"updatedReplicas", updated},
          {"readyReplicas", available},
          {"availableReplicas", available}};
}

class ComputeAksServiceTest : public testing::AksTargetFixture {
 protected:

  std::optional<json> Obj(const std::string& path) { return api_.Object(path); }
  // A pod of Deployment ns/name, labelled as its template says.
  json PodOf(const std::string& ns, const std::string& deployment, const std::string& pod,
             json status) {
    json d = *Obj("/apis/apps/v1/namespaces/" + ns + "/deployments/" + deployment);
    return {{"metadata",
             {{"name", pod},
              {"namespace", ns},
              {"labels", d["spec"]["template"]["metadata"]["labels"]}}},
            {"spec", d["spec"]["template"]["spec"]},
            {"status", std::move(status)}};
  }
  void SetLoadBalancer(const std::string& ns, const std::string& service, const std::string& ip) {
    api_.SetStatus("/api/v1/namespaces/" + ns + "/services/" + service,
                   {{"loadBalancer", {{"ingress", {{{"ip", ip}}}}}}});
  }

};

TEST_F(ComputeAksServiceTest, DeployRollsOutThenHealthyAtTheLoadBalancer) {
  ServiceSpec spec = MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}});
  Status deployed = target_->DeployService(spec);
  ASSERT_TRUE(deployed.ok()) << deployed.ToString();
  ASSERT_TRUE(Obj("/api/v1/namespaces/ml"));
  ASSERT_TRUE(Obj("/apis/apps/v1/namespaces/ml/deployments/svc-model"));
  ASSERT_TRUE(Obj("/apis/apps/v1/namespaces/ml/deployments/svc-router"));
  ASSERT_TRUE(Obj("/api/v1/namespaces/ml/services/svc"));
  EXPECT_GT(api_.Count("PATCH", "fieldManager=skiff"), 5) << "server-side apply, as skiff";
  EXPECT_EQ(api_.Count("PATCH", "force=true"), 0);

  auto state = target_->GetState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->state, ServiceState::kTransitioning) << "no rollout yet";

  for (const char* d : {"svc-model", "svc-router"}) {
    json current = *Obj(std::string("/apis/apps/v1/namespaces/ml/deployments/") + d);
    const int64_t replicas = current["spec"].value("replicas", 1);
    api_.SetDeploymentStatus(
        "ml", d,
        DeployStatus(current["metadata"].value("generation", 1), replicas, replicas, replicas));
  }
  state = target_->GetState("svc");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, ServiceState::kTransitioning);
  EXPECT_NE(state->error.find("load balancer"), std::string::npos) << state->error;

  SetLoadBalancer("ml", "svc", "20.1.2.3");
  state = target_->GetState("svc");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, ServiceState::kHealthy) << state->error;
  EXPECT_EQ(state->scoring_uri, "http://20.1.2.3/api/v1/service/svc/score");
  EXPECT_EQ(state->swagger_uri, "http://20.1.2.3/api/v1/service/svc/swagger.json");

  // A dual-stack load balancer may report an IPv6 address: the scoring URI
  // brackets it (it was "http://2001:db8::7/..."), so the SDK can call it.
  SetLoadBalancer("ml", "svc", "2001:db8::7");
  state = target_->GetState("svc");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->scoring_uri, "http://[2001:db8::7]/api/v1/service/svc/score");
}

TEST_F(ComputeAksServiceTest, PodProblemsBecomeUnhealthyOrFailedWithTheReason) {
  ASSERT_TRUE(target_
                  ->DeployService(
                      MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}}))
                  .ok());
  api_.SetDeploymentStatus("ml", "svc-model", DeployStatus(1, 1, 1, 0));
  api_.PutPod(PodOf("ml", "svc-model", "svc-model-a",
                    {{"phase", "Pending"},
                     {"conditions",
                      {{{"type", "PodScheduled"},
                        {"status", "False"},
                        {"reason", "Unschedulable"},
                        {"message", "0/3 nodes are available: 3 Insufficient cpu."}}}}}));
  auto state = target_->GetState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->state, ServiceState::kUnhealthy);
  EXPECT_NE(state->error.find("Insufficient cpu"), std::string::npos) << state->error;

  api_.PutPod(
      PodOf("ml", "svc-model", "svc-model-b",
            {{"phase", "Running"},
             {"containerStatuses",
              {{{"name", "skiff-server"},
                {"state",
                 {{"waiting", {{"reason", "CrashLoopBackOff"}, {"message", "back-off 40s"}}}}},
                {"lastState", {{"terminated", {{"exitCode", 1}}}}}}}}}),
      "skiff-server: error: cannot load the service: bad model\n");
  state = target_->GetState("svc");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, ServiceState::kFailed);
  EXPECT_NE(state->error.find("CrashLoopBackOff"), std::string::npos) << state->error;

  auto logs = target_->GetLogs("svc", 10);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_NE(logs->find("cannot load the service: bad model"), std::string::npos) << *logs;
}

// Issue 22 item 6: a progressive rollout reads each router pod's /metrics
// (the router counts requests per version) through the Kubernetes API's pod
// proxy from wherever the controller runs; version pods are not read (they
// would count the same requests again).
TEST_F(ComputeAksServiceTest, RolloutMetricsComeFromEachRouterPodThroughThePodProxy) {
  ServiceSpec two = MakeSpec("ep1", R"({"namespace": "ml"})",
                             {SampleVersion{"blue", 90, true}, SampleVersion{"green", 10, false}});
  ASSERT_TRUE(target_->DeployService(two).ok());
  const json running = {{"phase", "Running"}};
  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-a", running));
  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-b", running));
  api_.PutPod(PodOf("ml", "ep1-green", "ep1-green-a", running));
  const std::string a = "skiff_requests_total{service=\"ep1\",version=\"green\",code=\"200\"} 7\n";
  const std::string b = "skiff_requests_total{service=\"ep1\",version=\"green\",code=\"502\"} 2\n";
  api_.SetPodProxyBody("ml", "ep1-router-a", 9090, "/metrics", a);
  api_.SetPodProxyBody("ml", "ep1-router-b", 9090, "/metrics", b);
  api_.SetPodProxyBody("ml", "ep1-green-a", 9090, "/metrics", "not read");

  auto metrics = target_->ReadMetrics("ep1");
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(*metrics, (std::map<std::string, std::string>{{"ep1-router-a", a}, {"ep1-router-b", b}}));
  EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/ml/pods/ep1-router-a:9090/proxy/metrics"), 1);
}

// A router pod that cannot answer (stuck Pending in a rollout, crash-looping,
// terminating) is left out of the read, as the Service leaves it out of its
// endpoints; before, its failed GET failed the whole read and a progressive
// rollout polled for ever. None left to ask is kUnavailable, naming them.
TEST_F(ComputeAksServiceTest, RolloutMetricsLeaveOutRouterPodsThatCannotAnswer) {
  ServiceSpec two = MakeSpec("ep1", R"({"namespace": "ml"})",
                             {SampleVersion{"blue", 90, true}, SampleVersion{"green", 10, false}});
  ASSERT_TRUE(target_->DeployService(two).ok());
  const json ready = {{"phase", "Running"},
                      {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}};
  const json crash_looping = {
      {"phase", "Running"}, {"conditions", json::array({{{"type", "Ready"}, {"status", "False"}}})}};
  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-a", ready));
  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-pending", {{"phase", "Pending"}}));
  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-crash", crash_looping));
  json terminating = PodOf("ml", "ep1-router", "ep1-router-old", ready);
  terminating["metadata"]["deletionTimestamp"] = "2026-12-06T23:00:00Z";
  api_.PutPod(terminating);
  const std::string a = "skiff_requests_total{service=\"ep1\",version=\"green\",code=\"200\"} 7\n";
  api_.SetPodProxyBody("ml", "ep1-router-a", 9090, "/metrics", a);

  auto metrics = target_->ReadMetrics("ep1");
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(*metrics, (std::map<std::string, std::string>{{"ep1-router-a", a}}));
  for (const std::string pod : {"ep1-router-pending", "ep1-router-crash", "ep1-router-old"}) {
    EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/ml/pods/" + pod + ":9090/proxy/metrics"), 0)
        << pod;
  }

  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-a", crash_looping));
  auto none = target_->ReadMetrics("ep1");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable) << none.status().ToString();
  EXPECT_NE(none.status().message().find("ep1-router-pending"), std::string::npos)
      << none.status().message();
}

// Issue 23.3: the router's pods (their access log: every request, 401s
// included) are in get-logs beside the versions', each line naming its pod.
TEST_F(ComputeAksServiceTest, GetLogsIncludesTheRouterPodsEachLineNamingItsPod) {
  ASSERT_TRUE(target_
                  ->DeployService(
                      MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}}))
                  .ok());
  api_.PutPod(PodOf("ml", "svc-router", "svc-router-a", {{"phase", "Running"}}),
              "{\"route\":\"/api/v1/service/{service}/score\",\"status\":401}\n"
              "{\"route\":\"/api/v1/service/{service}/score\",\"status\":200}\n");
  api_.PutPod(PodOf("ml", "svc-model", "svc-model-a", {{"phase", "Running"}}),
              "2026-12-06T17:02:11.318Z INFO skiff-server: ready in 812 ms\n");
  auto logs = target_->GetLogs("svc", 10);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_NE(logs->find("[pod/svc-router-a/router] {\"route\":\"/api/v1/service/{service}/score\","
                       "\"status\":401}\n"),
            std::string::npos)
      << *logs;
  EXPECT_NE(logs->find("[pod/svc-model-a/skiff-server] 2026-12-06T17:02:11.318Z INFO skiff-server: "
                       "ready in 812 ms\n"),
            std::string::npos)
      << *logs;
  EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/ml/pods/svc-router-a/log?container=router"), 1);
  // Only the tail asked for, of each pod.
  auto last = target_->GetLogs("svc", 1);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->find("\"status\":401"), std::string::npos) << *last;
  EXPECT_NE(last->find("\"status\":200"), std::string::npos) << *last;
}

TEST_F(ComputeAksServiceTest, UpdatePrunesARemovedVersionAndDeleteRemovesOnlyTheService) {
  ServiceSpec two = MakeSpec("ep1", R"({"namespace": "ml"})",
                             {SampleVersion{"blue", 90, true}, SampleVersion{"green", 10, false}});
  ASSERT_TRUE(target_->DeployService(two).ok());
  ASSERT_TRUE(Obj("/apis/apps/v1/namespaces/ml/deployments/ep1-green"));
  // Someone else's object in the same namespace, and another skiff service.
  ASSERT_EQ(api_.ApplyAs("ops", {{"apiVersion", "v1"},
                                 {"kind", "ConfigMap"},
                                 {"metadata", {{"name", "ops-notes"}, {"namespace", "ml"}}},
                                 {"data", {{"a", "b"}}}}),
            201);
  ASSERT_TRUE(target_->DeployService(MakeSpec("other", R"({"namespace": "ml"})")).ok());

  ServiceSpec one = MakeSpec("ep1", R"({"namespace": "ml"})", {SampleVersion{"blue", 100, true}});
  Status updated = target_->UpdateService(one);
  ASSERT_TRUE(updated.ok()) << updated.ToString();
  EXPECT_TRUE(Obj("/apis/apps/v1/namespaces/ml/deployments/ep1-blue"));
  EXPECT_FALSE(Obj("/apis/apps/v1/namespaces/ml/deployments/ep1-green")) << "pruned";
  EXPECT_FALSE(Obj("/api/v1/namespaces/ml/services/ep1-green"));

  EXPECT_TRUE(Obj("/apis/networking.k8s.io/v1/namespaces/ml/networkpolicies/ep1-versions"));
  Status deleted = target_->DeleteService("ep1");
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_FALSE(Obj("/apis/apps/v1/namespaces/ml/deployments/ep1-blue"));
  EXPECT_FALSE(Obj("/apis/apps/v1/namespaces/ml/deployments/ep1-router"));
  EXPECT_FALSE(Obj("/api/v1/namespaces/ml/services/ep"));
  EXPECT_FALSE(Obj("/apis/networking.k8s.io/v1/namespaces/ml/networkpolicies/ep1-versions"));
  EXPECT_FALSE(Obj("/api/v1/namespaces/ml/secrets/ep1-server"));
  EXPECT_TRUE(Obj("/api/v1/namespaces/ml")) << "the namespace may be shared";
  EXPECT_TRUE(Obj("/api/v1/namespaces/ml/configmaps/ops-notes")) << "not skiff's";
  EXPECT_TRUE(Obj("/apis/apps/v1/namespaces/ml/deployments/other-v1")) << "another service";
  EXPECT_EQ(target_->GetState("ep1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(target_->DeleteService("ep1").ok()) << "deleting again is a no-op";
}

// Issue 19.3: kubernetes.serviceMonitor applies the metrics Service and a
// ServiceMonitor; without the option they are pruned, and a cluster without
// prometheus-operator's CRD (its LIST answers 404) still deletes the service.
TEST_F(ComputeAksServiceTest, AServiceMonitorIsAppliedWithTheOptionAndPrunedWithout) {
  json config = {{"configType", "attach"},
                 {"resourceId",
                  "/subscriptions/s/resourceGroups/r/providers/"
                  "Microsoft.ContainerService/managedClusters/c"},
                 {"targetName", "aks1"},
                 {"workspaceDir", ws_},
                 {"kubernetes", {{"serviceMonitor", true}}}};
  AksTargetOptions o;
  o.config = ParseAksConfig(config.dump()).value();
  auto monitored = AksComputeTarget::Create(std::move(o)).value();
  const ServiceSpec spec = MakeSpec("ep1", R"({"namespace": "ml"})");
  const Status deployed = monitored->DeployService(spec);
  ASSERT_TRUE(deployed.ok()) << deployed.ToString();
  const std::string monitor = "/apis/monitoring.coreos.com/v1/namespaces/ml/servicemonitors/ep1-metrics";
  const std::string service = "/api/v1/namespaces/ml/services/ep1-metrics";
  auto applied = Obj(monitor);
  ASSERT_TRUE(applied);
  EXPECT_EQ((*applied)["spec"]["endpoints"][0]["port"], "metrics");
  ASSERT_TRUE(Obj(service));
  EXPECT_EQ((*Obj(service))["spec"]["type"], "ClusterIP");

  const Status updated = target_->UpdateService(spec);  // the option off
  ASSERT_TRUE(updated.ok()) << updated.ToString();
  EXPECT_FALSE(Obj(monitor)) << "pruned";
  EXPECT_FALSE(Obj(service)) << "pruned";

  api_.AddFault({"GET /apis/monitoring.coreos.com/v1/namespaces/ml/servicemonitors", 404, {}, 10});
  const Status deleted = target_->DeleteService("ep1");
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_FALSE(Obj("/apis/apps/v1/namespaces/ml/deployments/ep1-router"));
}

// Issue 21 item 6: GetState reports the generation the cluster applied,
// from the Deployments that carry it, without the load balancer (an
// internal one need not be reachable, or even have an address yet), in at
// most two API calls a look.
ServiceSpec WithGeneration(ServiceSpec spec, int64_t generation) {
  json server = json::parse(spec.server_config_json);
  server["generation"] = generation;
  spec.server_config_json = server.dump();
  return spec;
}

TEST_F(ComputeAksServiceTest, AppliedGenerationComesFromTheRolloutsNotTheLoadBalancer) {
  api_.SetAutoRollout(true);
  ServiceSpec spec = MakeSpec("svc", R"({"namespace": "ml"})",
                              {SampleVersion{"blue", 90, true}, SampleVersion{"green", 10, false}});
  ASSERT_TRUE(target_->DeployService(WithGeneration(spec, 41)).ok());
  json router = *Obj("/apis/apps/v1/namespaces/ml/deployments/svc-router");
  EXPECT_EQ(router["spec"]["template"]["metadata"]["annotations"]["skiff.io/generation"], "41")
      << "the router rolls for every generation, so its rollout proves it loaded it";

  size_t before = api_.requests().size();
  auto state = target_->GetState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->applied_generation, 41);
  EXPECT_EQ(state->refused_generation, -1);
  EXPECT_EQ(state->state, ServiceState::kTransitioning) << "no load-balancer address yet";
  EXPECT_LE(api_.requests().size() - before, 2u) << "one LIST of Deployments, one GET of the front";

  ASSERT_TRUE(target_->UpdateService(WithGeneration(spec, 42)).ok());
  state = target_->GetState("svc");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->applied_generation, 42);

  // A rollout still under way: not applied, and one LIST of pods at most.
  api_.SetAutoRollout(false);
  ASSERT_TRUE(target_->UpdateService(WithGeneration(spec, 43)).ok());
  before = api_.requests().size();
  state = target_->GetState("svc");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->applied_generation, -1) << state->error;
  EXPECT_EQ(state->state, ServiceState::kTransitioning);
  EXPECT_LE(api_.requests().size() - before, 2u) << "Deployments and pods, one LIST each";
}

// Issue 23 item 2: `service list` on AKS shows replicas ready/total from the
// Deployments and restarts from the pods (a detailed look, one LIST more);
// the last minute's rates are not readable from outside the cluster and
// are reported unknown with the reason, never as 0.
TEST_F(ComputeAksServiceTest, ADetailedLookCountsReplicasAndRestartsAndNeverInventsRates) {
  ServiceSpec spec = MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}});
  ASSERT_TRUE(target_->DeployService(spec).ok());
  int64_t wanted = 0;
  for (const char* d : {"svc-model", "svc-router"}) {
    json current = *Obj(std::string("/apis/apps/v1/namespaces/ml/deployments/") + d);
    const int64_t replicas = current["spec"].value("replicas", 1);
    wanted += replicas;
    api_.SetDeploymentStatus(
        "ml", d,
        DeployStatus(current["metadata"].value("generation", 1), replicas, replicas, replicas));
  }
  SetLoadBalancer("ml", "svc", "20.1.2.3");
  api_.PutPod(PodOf("ml", "svc-model", "svc-model-a",
                    {{"phase", "Running"},
                     {"containerStatuses", {{{"name", "skiff-server"}, {"restartCount", 2}}}}}));
  api_.PutPod(PodOf("ml", "svc-router", "svc-router-a",
                    {{"phase", "Running"},
                     {"containerStatuses", {{{"name", "skiff-server"}, {"restartCount", 1}}}}}));

  const size_t before = api_.requests().size();
  auto state = target_->GetDetailedState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->state, ServiceState::kHealthy) << state->error;
  EXPECT_EQ(state->replicas_ready, wanted);
  EXPECT_EQ(state->replicas_total, wanted);
  EXPECT_EQ(state->restarts, 3) << "the pods' restartCount, summed";
  // The router pod's /load is not served by this fake cluster (the proxy
  // answers 503): rates stay unknown and the note says why, never made up.
  EXPECT_TRUE(state->load.empty()) << "not readable from here: never made up";
  EXPECT_NE(state->load_note.find("inside the cluster"), std::string::npos) << state->load_note;
  EXPECT_NE(state->load_note.find("pods/proxy"), std::string::npos) << state->load_note;
  size_t calls = 0;
  for (size_t i = before; i < api_.requests().size(); ++i) {
    if (api_.requests()[i].target.find("/proxy/") == std::string::npos) ++calls;
  }
  EXPECT_LE(calls, 4u) << "Deployments, pods, the front, the router pods for /load: one each";

  // A replica that stops being ready shows at once.
  json model = *Obj("/apis/apps/v1/namespaces/ml/deployments/svc-model");
  const int64_t replicas = model["spec"].value("replicas", 1);
  api_.SetDeploymentStatus(
      "ml", "svc-model",
      DeployStatus(model["metadata"].value("generation", 1), replicas, replicas, replicas - 1));
  state = target_->GetDetailedState("svc");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->replicas_ready, wanted - 1);
  EXPECT_EQ(state->replicas_total, wanted);
}

// Issue 23 item 2 on AKS: a one-off look reads each router pod's GET /load
// through the pod proxy and adds the routers' counts up per version (each
// router counts what it routed); version pods are not read.
TEST_F(ComputeAksServiceTest, ADetailedLookSumsTheRoutersLastMinute) {
  ServiceSpec two = MakeSpec("ep1", R"({"namespace": "ml"})",
                             {SampleVersion{"blue", 90, true}, SampleVersion{"green", 10, false}});
  ASSERT_TRUE(target_->DeployService(two).ok());
  const json running = {{"phase", "Running"}};
  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-a", running));
  api_.PutPod(PodOf("ml", "ep1-router", "ep1-router-b", running));
  api_.PutPod(PodOf("ml", "ep1-green", "ep1-green-a", running));
  api_.SetPodProxyBody("ml", "ep1-router-a", 9090, "/load",
                       SerializeLoadReport({{"blue", 90, 1, 60}, {"green", 10, 2, 60}}));
  api_.SetPodProxyBody("ml", "ep1-router-b", 9090, "/load",
                       SerializeLoadReport({{"blue", 30, 0, 40}, {"green", 5, 0, 40}}));
  api_.SetPodProxyBody("ml", "ep1-green-a", 9090, "/load", "not read");

  auto state = target_->GetDetailedState("ep1");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->load.size(), 2u) << state->load_note;
  EXPECT_TRUE(state->load_note.empty()) << state->load_note;
  EXPECT_EQ(state->load[0].version, "blue");
  EXPECT_EQ(state->load[0].requests, 120);
  EXPECT_EQ(state->load[0].server_errors, 1);
  EXPECT_EQ(state->load[0].seconds, 60);
  EXPECT_EQ(state->load[1].version, "green");
  EXPECT_EQ(state->load[1].requests, 15);
  EXPECT_EQ(state->load[1].server_errors, 2);
  EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/ml/pods/ep1-green-a:9090/proxy/load"), 0);

  // A router that answers something else: unknown again, with the pod named.
  api_.SetPodProxyBody("ml", "ep1-router-b", 9090, "/load", "<html>");
  state = target_->GetDetailedState("ep1");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->load.empty());
  EXPECT_NE(state->load_note.find("ep1-router-b"), std::string::npos) << state->load_note;
}

// A Deployment that will never progress (its deadline passed) is a refusal
// of its generation at once, with Kubernetes' message, instead of a wait
// that ends after 10 minutes.
TEST_F(ComputeAksServiceTest, ARolloutPastItsDeadlineIsRefusedAtOnce) {
  api_.SetAutoRollout(true);
  ServiceSpec spec = MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}});
  ASSERT_TRUE(target_->DeployService(WithGeneration(spec, 7)).ok());
  api_.SetAutoRollout(false);
  ASSERT_TRUE(target_->UpdateService(WithGeneration(spec, 8)).ok());
  json current = *Obj("/apis/apps/v1/namespaces/ml/deployments/svc-model");
  const int64_t generation = current["metadata"].value("generation", 1);

  // Before the controller has seen the new spec, an old condition is no refusal.
  json stale = DeployStatus(generation - 1, 1, 0, 1);
  stale["conditions"] = {{{"type", "Progressing"},
                          {"status", "False"},
                          {"reason", "ProgressDeadlineExceeded"},
                          {"message", "old news"}}};
  api_.SetDeploymentStatus("ml", "svc-model", stale);
  auto state = target_->GetState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->refused_generation, -1);

  json status = DeployStatus(generation, 2, 1, 1);
  status["conditions"] = {{{"type", "Progressing"},
                           {"status", "False"},
                           {"reason", "ProgressDeadlineExceeded"},
                           {"message", "ReplicaSet \"svc-model-5d9\" has timed out progressing."}}};
  api_.SetDeploymentStatus("ml", "svc-model", status);
  state = target_->GetState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->refused_generation, 8);
  EXPECT_NE(state->refusal.find("ProgressDeadlineExceeded"), std::string::npos) << state->refusal;
  EXPECT_NE(state->refusal.find("timed out progressing"), std::string::npos) << state->refusal;
  EXPECT_NE(state->applied_generation, 8);
}

TEST_F(ComputeAksServiceTest, NoKubeconfigSaysHowToGetOne) {
  fs::remove(ws_ + "/compute/aks1/kubeconfig");
  Status s = target_->DeployService(MakeSpec("svc", "{}"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("skiff computetarget wait -n aks1"), std::string::npos) << s.message();
  EXPECT_EQ(api_.requests().size(), 0u);
}

// Issue 18 item 4: with a non-ACR `registry`, the Secret the pods pull with
// reaches the cluster with the service and goes with it.
TEST_F(ComputeAksServiceTest, AnotherRegistrysPullSecretIsAppliedAndDeletedWithTheService) {
  json config = {{"configType", "attach"},
                 {"resourceId",
                  "/subscriptions/s/resourceGroups/r/providers/"
                  "Microsoft.ContainerService/managedClusters/c"},
                 {"registry", "reg.example:5000"},
                 // An image of the user's own: this deploy builds and pushes
                 // nothing (that is ComputeAksDeployCliTest's part).
                 {"kubernetes", {{"image", "reg.example:5000/skiff/server:mine"}}},
                 {"targetName", "aks1"},
                 {"workspaceDir", ws_}};
  const std::string secret =
      R"({"auths":{"reg.example:5000":{"auth":"dXNlcjE6cGFzczE=","password":"pass1","username":"user1"}}})";
  std::ofstream(ws_ + "/compute/aks1/registry-auth.json") << secret;
  AksTargetOptions o;
  o.config = ParseAksConfig(config.dump()).value();
  auto target = AksComputeTarget::Create(std::move(o)).value();
  ServiceSpec spec = MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}});
  Status deployed = target->DeployService(spec);
  ASSERT_TRUE(deployed.ok()) << deployed.ToString();
  auto applied = Obj("/api/v1/namespaces/ml/secrets/svc-registry");
  ASSERT_TRUE(applied);
  EXPECT_EQ((*applied)["type"], "kubernetes.io/dockerconfigjson");
  for (const char* d : {"svc-model", "svc-router"}) {
    auto deployment = Obj(std::string("/apis/apps/v1/namespaces/ml/deployments/") + d);
    ASSERT_TRUE(deployment) << d;
    EXPECT_EQ((*deployment)["spec"]["template"]["spec"]["imagePullSecrets"][0]["name"],
              "svc-registry")
        << d;
  }
  ASSERT_TRUE(target->DeleteService("svc").ok());
  EXPECT_FALSE(Obj("/api/v1/namespaces/ml/secrets/svc-registry"));
}

}  // namespace
}  // namespace skiff::compute_aks
