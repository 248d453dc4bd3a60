// SPDX-License-Identifier: Apache-2.0
// `skiff computetarget ... aks` through the real CLI against the loopback
// FakeArm and FakeKubeApi (the set-up: cli_aks_harness.h).
#include <sys/stat.h>

#include "cli_aks_harness.h"
#include "skiff/store/workspace_store.h"

namespace skiff::testing {
namespace {

class ComputeAksCliTest : public AksCliFixture {};

TEST_F(ComputeAksCliTest, CreateShowDetachDelete) {
  const std::vector<std::string> base = {
      "computetarget", "create",           "aks", "-n",         "myaks", "--subscription",
      "sub1",          "--resource-group", "rg1", "--location", "eastus"};
  auto bad = base;
  bad.insert(bad.end(), {"--agent-count", "2"});
  ExpectOneLineError(Skiff(bad), "greater than or equal to 12");
  EXPECT_TRUE(arm_.requests().empty()) << "validated before any call";
  EXPECT_EQ(Json({"computetarget", "list", "--output", "json"}).size(), 0u) << "no record left";

  auto created = Skiff(base);
  ASSERT_EQ(created.rc, 0) << created.err;
  EXPECT_NE(created.err.find("Succeeded"), std::string::npos) << "progress while waiting";
  auto shown = Json({"computetarget", "show", "-n", "myaks", "--output", "json"});
  EXPECT_EQ(shown["computeType"], "aks");
  EXPECT_EQ(shown["provisioningState"], "Succeeded");
  EXPECT_EQ(shown["agentCount"], 3);
  EXPECT_EQ(shown["vmSize"], "Standard_D3_v2");
  EXPECT_EQ(shown["kubernetesVersion"], "1.28.5");
  EXPECT_EQ(shown["clusterPurpose"], "FastProd");

  auto attach = Skiff({"computetarget", "attach", "aks", "-n", "other", "-i",
                       "/subscriptions/sub1/resourceGroups/rg1/providers/"
                       "Microsoft.ContainerService/managedClusters/myaks"});
  ExpectOneLineError(attach, "'myaks'");
  ExpectOneLineError(Skiff({"computetarget", "attach", "aks", "-n", "other", "-i", "/bad/id"}),
                     "resource id");

  ExpectOneLineError(Skiff({"computetarget", "delete", "-n", "myaks"}), "--yes");
  auto deleted = Skiff({"computetarget", "delete", "-n", "myaks", "--yes"});
  ASSERT_EQ(deleted.rc, 0) << deleted.err;
  EXPECT_FALSE(arm_.HasCluster("myaks"));

  arm_.AddCluster("sub1", "rg1", "existing");
  auto attached = AttachExisting("att1", "existing");
  ASSERT_EQ(attached.rc, 0) << attached.err;
  ASSERT_EQ(Skiff({"computetarget", "detach", "-n", "att1"}).rc, 0);
  EXPECT_TRUE(arm_.HasCluster("existing"));
  EXPECT_EQ(Json({"computetarget", "list", "--output", "json"}).size(), 0u);
}

// Issue 21.3: attach enforced no vCPU rule, so a 2-node DS2 cluster (4
// vCPUs) attached as FastProd, which create refuses. Also: `-g` and
// `--subscription-id` after the sub-command, as `az` takes them, and the
// subscription from $AZURE_SUBSCRIPTION_ID.
TEST_F(ComputeAksCliTest, AttachEnforcesTheTwelveVcpuRuleOnTheClustersPools) {
  arm_.AddCluster("sub1", "rg1", "small", 2, "Standard_DS2_v2");
  auto refused = Skiff({"computetarget", "attach", "aks", "-n", "small1", "--subscription-id",
                        "sub1", "-g", "rg1", "--cluster-name", "small"});
  ExpectOneLineError(refused, "greater than or equal to 12");
  EXPECT_NE(refused.err.find("2 x 2 vCPUs of Standard_DS2_v2 = 4"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--cluster-purpose DevTest"), std::string::npos) << refused.err;
  EXPECT_EQ(Json({"computetarget", "list", "--output", "json"}).size(), 0u) << "no record left";

  // DevTest has no such floor; the subscription comes from the environment.
  env_prefix_ = "AZURE_SUBSCRIPTION_ID=sub1 ";
  auto devtest = Skiff({"computetarget", "attach", "aks", "-n", "small1", "-g", "rg1",
                        "--cluster-name", "small", "--cluster-purpose", "DevTest"});
  ASSERT_EQ(devtest.rc, 0) << devtest.err;
  env_prefix_.clear();
  EXPECT_EQ(Json({"computetarget", "show", "-n", "small1", "--output", "json"})["clusterPurpose"],
            "DevTest");

  // 3 x 4 vCPUs (the default fake cluster) meets the rule as FastProd.
  arm_.AddCluster("sub1", "rg1", "big");
  auto big = Skiff({"computetarget", "attach", "aks", "-n", "big1", "-i",
                    "/subscriptions/sub1/resourceGroups/rg1/providers/"
                    "Microsoft.ContainerService/managedClusters/big"});
  ASSERT_EQ(big.rc, 0) << big.err;
}

TEST_F(ComputeAksCliTest, NoWaitThenShowRefreshesAndWaitFinishes) {
  auto created =
      Json({"computetarget", "create", "aks", "-n", "later", "--subscription", "sub1",
            "--resource-group", "rg1", "--location", "eastus", "--no-wait", "--output", "json"});
  EXPECT_EQ(created["provisioningState"], "Creating");
  EXPECT_EQ(arm_.Count("GET", "/operations/"), 0) << "--no-wait polls nothing";
  arm_.FinishCreatingAfterGets(2);

  // show re-reads a cluster that is still being created (GET #1: Creating).
  auto shown = Json({"computetarget", "show", "-n", "later", "--output", "json"});
  EXPECT_EQ(shown["provisioningState"], "Creating");
  EXPECT_EQ(arm_.Count("GET", "/managedClusters/later?"), 1);

  // Without credentials, show still prints the stored state, with a warning.
  ::unsetenv("AZURE_ACCESS_TOKEN");
  auto offline = Skiff({"computetarget", "show", "-n", "later", "--output", "json"});
  EXPECT_EQ(offline.rc, 0) << offline.err;
  EXPECT_NE(offline.err.find("warning: showing the stored state"), std::string::npos)
      << offline.err;
  ::setenv("AZURE_ACCESS_TOKEN", FakeArm::kFixedToken, 1);

  // wait (GET #2: Succeeded) fetches the kubeconfig the create skipped.
  auto waited = Skiff({"computetarget", "wait", "-n", "later", "--output", "json"});
  ASSERT_EQ(waited.rc, 0) << waited.err;
  EXPECT_EQ(nlohmann::json::parse(waited.out)["provisioningState"], "Succeeded");
  EXPECT_EQ(arm_.Count("POST", "/managedClusters/later/listClusterUserCredential"), 1);
  auto listed = Json({"computetarget", "list", "--output", "json"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["provisioningState"], "Succeeded");

  // Settled: show reads the stored description without calling Azure.
  const int gets = arm_.Count("GET", "/managedClusters/later?");
  EXPECT_EQ(Json({"computetarget", "show", "-n", "later", "--output", "json"})["provisioningState"],
            "Succeeded");
  EXPECT_EQ(arm_.Count("GET", "/managedClusters/later?"), gets);
}

// `model deploy --dry-run` on an aks target prints the Kubernetes objects and
// changes nothing: no service record, no keys, no cluster call.
TEST_F(ComputeAksCliTest, DeployDryRunPrintsKubernetesYaml) {
  arm_.AddCluster("sub1", "rg1", "existing");
  ASSERT_EQ(AttachExisting("att1", "existing").rc, 0);
  const size_t arm_calls = arm_.requests().size();
  RegisterMlp(R"({"computeType": "aks", "numReplicas": 2, "namespace": "prod",
                 "keys": {"primaryKey": "0123456789abcdef0123456789abcdef-primary"}})",
              "not really torchscript");
  auto dry = Skiff({"model", "deploy", "-n", "my-svc", "-m", "mlp:1", "--ct", "att1", "--ic",
                    Path("ic.json"), "--dc", Path("dc.json"), "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  for (const char* needle :
       {"kind: Namespace", "name: prod", "kind: Deployment", "name: my-svc-model", "replicas: 2",
        "kind: PodDisruptionBudget", "type: LoadBalancer", "skiff.io/service: my-svc",
        "sha256 of the secondary key generated at deploy"}) {
    EXPECT_NE(dry.out.find(needle), std::string::npos) << needle << " in\n" << dry.out;
  }
  EXPECT_EQ(dry.out.find("0123456789abcdef0123456789abcdef-primary"), std::string::npos);
  EXPECT_EQ(arm_.requests().size(), arm_calls) << "a dry run contacts nothing";
  EXPECT_EQ(Json({"service", "list", "--output", "json"}).size(), 0u) << "and stores nothing";
  // Issue 21.3: `endpoint create --dry-run` likewise.
  auto ep_dry =
      Skiff({"endpoint", "create", "-n", "my-ep", "--ct", "att1", "--version-name", "blue", "-m",
             "mlp:1", "--ic", Path("ic.json"), "--dc", Path("dc.json"), "--dry-run"});
  ASSERT_EQ(ep_dry.rc, 0) << ep_dry.err;
  EXPECT_NE(ep_dry.out.find("name: my-ep-blue"), std::string::npos) << ep_dry.out;
  EXPECT_EQ(arm_.requests().size(), arm_calls) << "a dry run contacts nothing";
  EXPECT_EQ(Json({"service", "list", "--output", "json"}).size(), 0u) << "and stores nothing";

  // `service update --dry-run` renders the stored service with the changes.
  // A deploy the cluster refused leaves no record (issue 21 item 2), so this
  // one goes to a cluster that takes it (FakeKubeApi); --no-wait: no rollout.
  FakeKubeApi kube;
  UseCluster("att1", kube);
  auto deployed = Skiff({"model", "deploy", "-n", "my-svc", "-m", "mlp:1", "--ct", "att1", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json"), "--no-wait"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  ASSERT_EQ(Json({"service", "list", "--output", "json"}).size(), 1u);
  Spit(Path("dc2.json"), R"({"numReplicas": 5})");
  auto update = Skiff({"service", "update", "-n", "my-svc", "--dc", Path("dc2.json"), "--dry-run"});
  ASSERT_EQ(update.rc, 0) << update.err;
  EXPECT_NE(update.out.find("replicas: 5"), std::string::npos) << update.out;
  EXPECT_EQ(update.out.find("0123456789abcdef0123456789abcdef-primary"), std::string::npos);
  EXPECT_EQ(update.out.find("generated at deploy"), std::string::npos)
      << "the stored keys' digests";

  ASSERT_EQ(Skiff({"computetarget", "create", "local", "-n", "loc"}).rc, 0);
  ExpectOneLineError(Skiff({"model", "deploy", "-n", "my-svc", "-m", "mlp:1", "--ct", "loc", "--ic",
                            Path("ic.json"), "--dry-run"}),
                     "needs an aks compute target");
}

// Issue 22 item 3 on AKS: the router assigns sticky keys, so `endpoint
// create --routing-key-header --dry-run` shows the routing in the router's
// config (and the routing table), the salt as a placeholder, and creates no
// salt (a dry run stores nothing).
TEST_F(ComputeAksCliTest, EndpointDryRunShowsTheRoutingKeyButNeverTheSalt) {
  arm_.AddCluster("sub1", "rg1", "existing");
  ASSERT_EQ(AttachExisting("att1", "existing").rc, 0);
  RegisterMlp(R"({"computeType": "aks"})", "not really torchscript");
  auto dry = Skiff({"endpoint", "create", "-n", "my-ep", "--ct", "att1", "--version-name", "blue",
                    "-m", "mlp:1", "--ic", Path("ic.json"), "--dc", Path("dc.json"),
                    "--routing-key-header", "x-user-id", "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  for (const char* needle : {"keyHeader", "x-user-id", "/var/lib/skiff/data/exposure.jsonl",
                             "routing salt (redacted)", "routingKey"}) {
    EXPECT_NE(dry.out.find(needle), std::string::npos) << needle << " in\n" << dry.out;
  }
  // Only the router's server.json routes by key; version pods serve one version.
  size_t routers = 0;
  for (size_t at = dry.out.find("keyHeader"); at != std::string::npos;
       at = dry.out.find("keyHeader", at + 1)) {
    ++routers;
  }
  EXPECT_EQ(routers, 1u) << dry.out;
  EXPECT_FALSE(fs::exists(Path("ws/keys/my-ep.routing-salt"))) << "a dry run makes no salt";
}

// compute-aks part 2 through the CLI: `model deploy -ct AKS` applies the
// objects to the cluster (FakeKubeApi behind the attached target's
// kubeconfig), waits for the rollouts and the load balancer, then `service
// show`, `get-logs` and `delete` work against the cluster.
TEST_F(ComputeAksCliTest, DeployToTheClusterWaitsThenShowsLogsAndDeletes) {
  FakeKubeApi kube;
  kube.SetAutoRollout(true);  // Deployments complete as soon as they change
  arm_.AddCluster("sub1", "rg1", "prod1");
  ASSERT_EQ(AttachExisting("prodaks", "prod1").rc, 0);
  UseCluster("prodaks", kube);
  RegisterMlp(R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml"})");

  LoadBalancerStandIn cloud(kube, "/api/v1/namespaces/ml/services/svc", "20.0.0.7");
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "--ct", "prodaks", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json")});
  cloud.Stop();
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  EXPECT_NE(deployed.err.find("Healthy"), std::string::npos) << deployed.err;
  EXPECT_TRUE(kube.Object("/apis/apps/v1/namespaces/ml/deployments/svc-model"));
  EXPECT_TRUE(kube.Object("/apis/apps/v1/namespaces/ml/deployments/svc-router"));

  auto shown = Json({"service", "show", "-n", "svc", "--output", "json"});
  EXPECT_EQ(shown["state"], "Healthy") << shown.dump();
  EXPECT_EQ(shown["scoringUri"], "http://20.0.0.7/api/v1/service/svc/score") << shown.dump();

  nlohmann::json d = *kube.Object("/apis/apps/v1/namespaces/ml/deployments/svc-model");
  kube.PutPod({{"metadata",
                {{"name", "svc-model-abc"},
                 {"namespace", "ml"},
                 {"labels", d["spec"]["template"]["metadata"]["labels"]}}},
               {"spec", d["spec"]["template"]["spec"]},
               {"status", {{"phase", "Running"}}}},
              "skiff-server: ready in 812 ms\n");
  auto logs = Skiff({"service", "get-logs", "-n", "svc"});
  ASSERT_EQ(logs.rc, 0) << logs.err;
  EXPECT_NE(logs.out.find("ready in 812 ms"), std::string::npos) << logs.out;

  auto deleted = Skiff({"service", "delete", "-n", "svc"});
  ASSERT_EQ(deleted.rc, 0) << deleted.err;
  EXPECT_FALSE(kube.Object("/apis/apps/v1/namespaces/ml/deployments/svc-model"));
  EXPECT_FALSE(kube.Object("/api/v1/namespaces/ml/services/svc"));
  EXPECT_EQ(Json({"service", "list", "--output", "json"}).size(), 0u);
}

// Issue 21 item 6: an update waits on the cluster, not on the network path
// to the load balancer. The router's address here (10.255.255.1, an
// internal load balancer) is not reachable from the test; the update used
// to poll http://<LB>/v2/health/ready until its 10-minute deadline. A
// rollout that passes its deadline is a refusal at once, and the service
// is rolled back to what the store says.
TEST_F(ComputeAksCliTest, UpdateWaitsOnTheClusterNotTheLoadBalancer) {
  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "int1");
  ASSERT_EQ(AttachExisting("intaks", "int1").rc, 0);
  UseCluster("intaks", kube);
  RegisterMlp(R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml"})");
  LoadBalancerStandIn cloud(kube, "/api/v1/namespaces/ml/services/svc", "10.255.255.1");
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "--ct", "intaks", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json")});
  cloud.Stop();
  ASSERT_EQ(deployed.rc, 0) << deployed.err;

  // The update: done as soon as the Deployments of its generation rolled out.
  Spit(Path("dc2.json"), R"({"numReplicas": 2})");
  const int lists_before = kube.Count("GET", "/deployments?");
  const auto start = std::chrono::steady_clock::now();
  auto updated = Skiff({"service", "update", "-n", "svc", "--dc", Path("dc2.json")});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(updated.rc, 0) << updated.err;
  EXPECT_LT(took, std::chrono::seconds(60)) << "no wait on the unreachable load balancer";
  const int lists = kube.Count("GET", "/deployments?") - lists_before;
  EXPECT_GE(lists, 1);
  EXPECT_LE(lists, 10) << "a few looks at the cluster, not one every 100 ms";
  nlohmann::json router = *kube.Object("/apis/apps/v1/namespaces/ml/deployments/svc-router");
  const std::string applied =
      router["spec"]["template"]["metadata"]["annotations"]["skiff.io/generation"];

  // A rollout that never progresses: refused at once with Kubernetes'
  // message, then the stored configuration goes back on.
  kube.SetAutoRollout(false);
  std::thread controller([&] {
    const std::string path = "/apis/apps/v1/namespaces/ml/deployments/svc-router";
    for (int i = 0; i < 3000; ++i) {
      nlohmann::json d = *kube.Object(path);
      const auto annotations = d["spec"]["template"]["metadata"]["annotations"];
      if (annotations.value("skiff.io/generation", applied) != applied) {
        nlohmann::json status = {
            {"observedGeneration", d["metadata"]["generation"]},
            {"replicas", 3},
            {"updatedReplicas", 1},
            {"availableReplicas", 2},
            {"conditions",
             {{{"type", "Progressing"},
               {"status", "False"},
               {"reason", "ProgressDeadlineExceeded"},
               {"message", "ReplicaSet svc-router-x has timed out progressing."}}}}};
        kube.SetAutoRollout(true);  // the restore that follows rolls out
        kube.SetDeploymentStatus("ml", "svc-router", status);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  Spit(Path("dc3.json"), R"({"numReplicas": 3})");
  const auto refused_start = std::chrono::steady_clock::now();
  auto refused = Skiff({"service", "update", "-n", "svc", "--dc", Path("dc3.json")});
  const auto refused_took = std::chrono::steady_clock::now() - refused_start;
  controller.join();
  EXPECT_NE(refused.rc, 0);
  EXPECT_NE(refused.err.find("refused the change"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("ProgressDeadlineExceeded"), std::string::npos) << refused.err;
  EXPECT_LT(refused_took, std::chrono::seconds(60)) << "at once, not after 10 minutes";
}

// Issue 21 item 2: a create refused for missing credentials, or one the
// cloud failed, leaves no record that makes the retry fail with "already
// exists".
TEST_F(ComputeAksCliTest, FailedCreateDoesNotBlockItsRetry) {
  const std::vector<std::string> create = {
      "computetarget", "create",           "aks", "-n",         "retry",  "--subscription",
      "sub1",          "--resource-group", "rg1", "--location", "eastus", "--output",
      "json"};
  ::unsetenv("AZURE_ACCESS_TOKEN");
  ExpectOneLineError(Skiff(create), "no Azure credentials");
  ExpectOneLineError(Skiff(create), "no Azure credentials");  // not "already exists"
  ::setenv("AZURE_ACCESS_TOKEN", FakeArm::kFixedToken, 1);
  auto created = Skiff(create);
  ASSERT_EQ(created.rc, 0) << created.err;
  EXPECT_EQ(nlohmann::json::parse(created.out)["provisioningState"], "Succeeded");

  // A Failed record (the cloud failed the create) is taken over by the retry.
  auto store = store::WorkspaceStore::Open(Path("ws"));
  ASSERT_TRUE(store.ok());
  auto record = (*store)->GetComputeTarget("retry");
  ASSERT_TRUE(record.ok());
  record->state = "Failed";
  ASSERT_TRUE((*store)->UpdateComputeTarget(*record).ok());
  auto again = Skiff(create);
  ASSERT_EQ(again.rc, 0) << again.err;
  auto listed = Json({"computetarget", "list", "--output", "json"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["provisioningState"], "Succeeded");
}

// A deploy to a target still creating is refused and leaves no service
// record: the retry gets the same answer, not "already exists".
TEST_F(ComputeAksCliTest, DeployToATargetStillCreatingDoesNotBlockItsRetry) {
  ASSERT_EQ(Skiff({"computetarget", "create", "aks", "-n", "later", "--subscription", "sub1",
                   "--resource-group", "rg1", "--location", "eastus", "--no-wait"})
                .rc,
            0);
  RegisterMlp("");
  const std::vector<std::string> deploy = {"model", "deploy", "-n",    "svc",  "-m",
                                           "mlp:1", "--ct",   "later", "--ic", Path("ic.json")};
  auto first = Skiff(deploy);
  ASSERT_NE(first.rc, 0);
  EXPECT_EQ(Json({"service", "list", "--output", "json"}).size(), 0u) << "no record left";
  EXPECT_FALSE(fs::exists(Path("ws/keys/svc.json"))) << "no keys left";
  auto retry = Skiff(deploy);
  EXPECT_NE(retry.rc, 0);
  EXPECT_EQ(retry.err.find("already exists"), std::string::npos) << retry.err;
  EXPECT_EQ(retry.err, first.err) << "the same refusal";
}

// Issue 18 item 4: `--registry` on create and attach. A bad value or an ACR
// ARM does not know leaves no record; an ACR it knows ends with exactly one
// AcrPull assignment for the cluster's kubelet identity, shown by `show`.
TEST_F(ComputeAksCliTest, RegistryGrantsAcrPullOnCreateAndAttach) {
  const std::vector<std::string> base = {
      "computetarget", "create",           "aks", "-n",         "pull1", "--subscription",
      "sub1",          "--resource-group", "rg1", "--location", "eastus"};
  auto bad = base;
  bad.insert(bad.end(), {"--registry", "my_acr"});
  ExpectOneLineError(Skiff(bad), "--registry");
  EXPECT_TRUE(arm_.requests().empty()) << "validated before any call";
  auto missing = base;
  missing.insert(missing.end(), {"--registry", "ghostacr"});
  ExpectOneLineError(Skiff(missing), "az acr create");
  EXPECT_FALSE(arm_.HasCluster("pull1"));
  EXPECT_EQ(Json({"computetarget", "list", "--output", "json"}).size(), 0u) << "no record left";

  arm_.AddRegistry("sub1", "rg1", "myacr");
  auto good = base;
  good.insert(good.end(), {"--registry", "myacr"});
  auto created = Skiff(good);
  ASSERT_EQ(created.rc, 0) << created.err;
  auto shown = Json({"computetarget", "show", "-n", "pull1", "--output", "json"});
  EXPECT_EQ(shown["registry"], "myacr.azurecr.io");
  ASSERT_EQ(arm_.role_assignments().size(), 1u);
  EXPECT_EQ(arm_.role_assignments()[0]["properties"]["principalId"],
            FakeArm::KubeletObjectId("pull1"));

  arm_.AddCluster("sub1", "rg1", "existing");
  auto attached = AttachExisting("att1", "existing", {"--registry", "myacr"});
  ASSERT_EQ(attached.rc, 0) << attached.err;
  EXPECT_EQ(arm_.role_assignments().size(), 2u);  // one per cluster
}

// Issue 19 item 4: `--debug` says which Azure credential the chain used and
// why each earlier one was skipped (as DEBUG: lines, never a token); without
// it, nothing. The Azure CLI's login is a fake `az` first on PATH, then
// workload identity against FakeArm's Azure AD.
TEST_F(ComputeAksCliTest, DebugSaysWhichAzureCredentialWasUsedAndWhy) {
  ::unsetenv("AZURE_ACCESS_TOKEN");
  arm_.AddCluster("sub1", "rg1", "prod1");
  fs::create_directories(Path("bin"));
  const auto expires =
      std::chrono::duration_cast<std::chrono::seconds>(
          (std::chrono::system_clock::now() + std::chrono::hours(1)).time_since_epoch())
          .count();
  Spit(Path("bin/az"),
       "#!/bin/sh\n"
       "[ \"$*\" = 'account get-access-token --resource https://management.azure.com/ --output "
       "json' ] || exit 2\n"
       "echo '{\"accessToken\": \"" +
           std::string(FakeArm::kFixedToken) + "\", \"expires_on\": " + std::to_string(expires) +
           ", \"tokenType\": \"Bearer\"}'\n");
  ::chmod(Path("bin/az").c_str(), 0755);
  // Nothing of the environment's own Azure settings may take part.
  const std::string clean =
      "env -u AZURE_TENANT_ID -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET "
      "-u AZURE_FEDERATED_TOKEN_FILE -u SKIFF_AZURE_MANAGED_IDENTITY -u SKIFF_DEBUG "
      "ASAN_OPTIONS=detect_leaks=0 ";
  env_prefix_ = clean + "PATH=" + Path("bin") + ":/usr/bin:/bin ";
  const std::vector<std::string> attach = {"computetarget", "attach",         "aks",   "-n",
                                           "cli1",          "--subscription", "sub1",  "-g",
                                           "rg1",           "--cluster-name", "prod1", "--debug"};
  auto cli = Skiff(attach);
  ASSERT_EQ(cli.rc, 0) << cli.err;
  for (const char* line :
       {"DEBUG: Azure credential skipped: AZURE_ACCESS_TOKEN: not set",
        "DEBUG: Azure credential skipped: environment service principal: AZURE_TENANT_ID, "
        "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set",
        "DEBUG: Azure credential skipped: workload identity: AZURE_FEDERATED_TOKEN_FILE",
        "DEBUG: Azure credential skipped: managed identity: SKIFF_AZURE_MANAGED_IDENTITY is not 1",
        "DEBUG: Azure credential used: Azure CLI ("}) {
    EXPECT_NE(cli.err.find(line), std::string::npos) << line << "\n" << cli.err;
  }
  EXPECT_EQ(cli.err.find(FakeArm::kFixedToken), std::string::npos) << "no token in the output";
  ASSERT_EQ(Skiff({"computetarget", "detach", "-n", "cli1"}).rc, 0);

  // Without --debug: the same attach, not one DEBUG: line.
  auto quiet = Skiff({"computetarget", "attach", "aks", "-n", "cli1", "--subscription", "sub1",
                      "-g", "rg1", "--cluster-name", "prod1"});
  ASSERT_EQ(quiet.rc, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("DEBUG:"), std::string::npos) << quiet.err;
  ASSERT_EQ(Skiff({"computetarget", "detach", "-n", "cli1"}).rc, 0);

  // Workload identity comes before the Azure CLI.
  Spit(Path("federated-token"), "jwt-from-the-kubelet");
  arm_.SetFederatedAssertion("jwt-from-the-kubelet");
  env_prefix_ = clean + "PATH=" + Path("bin") +
                ":/usr/bin:/bin AZURE_TENANT_ID=" + FakeArm::kTenant +
                " AZURE_CLIENT_ID=" + FakeArm::kClientId +
                " AZURE_FEDERATED_TOKEN_FILE=" + Path("federated-token") +
                " AZURE_AUTHORITY_HOST=" + arm_.url() + " ";
  auto wi = Skiff(attach);
  ASSERT_EQ(wi.rc, 0) << wi.err;
  EXPECT_NE(wi.err.find("DEBUG: Azure credential used: workload identity (client " +
                        std::string(FakeArm::kClientId)),
            std::string::npos)
      << wi.err;
  EXPECT_EQ(wi.err.find("jwt-from-the-kubelet"), std::string::npos);
  EXPECT_EQ(arm_.assertions_seen().size(), 1u);
  ASSERT_EQ(Skiff({"computetarget", "detach", "-n", "cli1"}).rc, 0);

  // Managed identity, asked for, against FakeArm's metadata stand-in.
  env_prefix_ = clean + "PATH=" + Path("bin") +
                ":/usr/bin:/bin SKIFF_AZURE_MANAGED_IDENTITY=1 AZURE_POD_IDENTITY_AUTHORITY_HOST=" +
                arm_.url() + " ";
  auto mi = Skiff(attach);
  ASSERT_EQ(mi.rc, 0) << mi.err;
  EXPECT_NE(mi.err.find("DEBUG: Azure credential used: managed identity (instance metadata "
                        "service at " +
                        arm_.url() + ")"),
            std::string::npos)
      << mi.err;
  EXPECT_EQ(arm_.Count("GET", "/metadata/identity/oauth2/token"), 1);
}

// Issue 19 item 5: `computetarget attach kubernetes` attaches any cluster
// through a kubeconfig whose user is an exec plugin (kubelogin's shape),
// with no ARM call at all, and runs a service there with only the rights a
// cluster admin grants in one namespace: the namespace is pre-created, and
// skiff makes no cluster-scope call once it exists.
TEST_F(ComputeAksCliTest, AttachKubernetesThroughAKubeconfigExecPluginWithoutArm) {
  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  kube.RestrictToNamespace("team-ml");
  kube.AcceptToken("aad-token-for-aks");
  fs::create_directories(Path("kube"));
  Spit(Path("kube/fake-kubelogin"),
       "#!/bin/sh\n"
       "echo run >> '" +
           Path("kube/runs") +
           "'\n"
           "[ \"$1\" = get-token ] || { echo 'usage: kubelogin get-token' >&2; exit 2; }\n"
           "echo '{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": "
           "\"ExecCredential\", "
           "\"status\": {\"token\": \"aad-token-for-aks\"}}'\n");
  ::chmod(Path("kube/fake-kubelogin").c_str(), 0755);
  Spit(Path("kube/config"),
       "apiVersion: v1\nkind: Config\ncurrent-context: admin\n"
       "clusters:\n- name: onprem\n  cluster:\n    server: " +
           kube.url() +
           "\n"
           "contexts:\n- name: admin\n  context: {cluster: onprem, user: nobody}\n"
           "- name: team\n  context: {cluster: onprem, user: aad-user, namespace: team-ml}\n"
           "users:\n- name: nobody\n  user: {token: wrong-token}\n"
           "- name: aad-user\n  user:\n    exec:\n      apiVersion: "
           "client.authentication.k8s.io/v1\n"
           "      command: ./fake-kubelogin\n      args: [get-token, --login, azurecli]\n"
           "      interactiveMode: Never\n      provideClusterInfo: false\n");

  // The current context's credentials are refused: nothing is recorded.
  auto refused = Skiff({"computetarget", "attach", "kubernetes", "-n", "onprem", "--kubeconfig",
                        Path("kube/config")});
  ExpectOneLineError(refused, "401");
  EXPECT_EQ(Json({"computetarget", "list", "--output", "json"}).size(), 0u) << "no record left";

  auto attached = Skiff({"computetarget", "attach", "kubernetes", "-n", "onprem", "--kubeconfig",
                         Path("kube/config"), "--context", "team"});
  ASSERT_EQ(attached.rc, 0) << attached.err;
  EXPECT_TRUE(arm_.requests().empty()) << "no Azure Resource Manager call";
  auto shown = Json({"computetarget", "show", "-n", "onprem", "--output", "json"});
  EXPECT_EQ(shown["computeType"], "kubernetes");
  EXPECT_EQ(shown["provisioningState"], "Succeeded");
  EXPECT_EQ(shown["kubernetesVersion"], "v1.28.5");
  EXPECT_EQ(shown["server"], kube.url());
  EXPECT_EQ(shown["context"], "team");
  // --refresh asks the cluster again, with the same credentials.
  const int versions = kube.Count("GET", "/version");
  auto refreshed = Json({"computetarget", "show", "-n", "onprem", "--refresh", "--output", "json"});
  EXPECT_EQ(refreshed["kubernetesVersion"], "v1.28.5");
  EXPECT_EQ(kube.Count("GET", "/version"), versions + 1);

  RegisterMlp(R"({"computeType": "aks", "numReplicas": 1, "namespace": "team-ml"})");

  // Before the admin has made the namespace: the refusal says who must act.
  auto early = Skiff({"model", "deploy", "-n", "early", "-m", "mlp:1", "--ct", "onprem", "--ic",
                      Path("ic.json"), "--dc", Path("dc.json")});
  EXPECT_NE(early.rc, 0);
  EXPECT_NE(early.err.find("namespace team-ml does not exist and these credentials may not "
                           "create it"),
            std::string::npos)
      << early.err;
  EXPECT_NE(early.err.find("ask a cluster admin"), std::string::npos) << early.err;

  // The admin creates it; skiff uses it as it is.
  ASSERT_EQ(kube.ApplyAs(
                "cluster-admin",
                {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team-ml"}}}}),
            201);
  LoadBalancerStandIn cloud(kube, "/api/v1/namespaces/team-ml/services/svc", "10.1.2.3");
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "--ct", "onprem", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json")});
  cloud.Stop();
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  EXPECT_TRUE(kube.Object("/apis/apps/v1/namespaces/team-ml/deployments/svc-model"));
  auto svc = Json({"service", "show", "-n", "svc", "--output", "json"});
  EXPECT_EQ(svc["state"], "Healthy") << svc.dump();
  EXPECT_EQ(svc["scoringUri"], "http://10.1.2.3/api/v1/service/svc/score");
  // Every call was inside team-ml, apart from the refused namespace apply
  // and the GET of the namespace that found it there.
  for (const auto& r : kube.requests()) {
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (path == "/version" || path.find("/namespaces/team-ml/") != std::string::npos) continue;
    EXPECT_EQ(path, "/api/v1/namespaces/team-ml") << r.method << " " << r.target;
  }
  ASSERT_EQ(Skiff({"service", "delete", "-n", "svc"}).rc, 0);
  EXPECT_FALSE(kube.Object("/apis/apps/v1/namespaces/team-ml/deployments/svc-model"));
  EXPECT_TRUE(arm_.requests().empty());

  // skiff never deletes a cluster it attached from a kubeconfig.
  ExpectOneLineError(Skiff({"computetarget", "delete", "-n", "onprem", "--yes"}), "detach it");
  ASSERT_EQ(Skiff({"computetarget", "detach", "-n", "onprem"}).rc, 0);
}

// Issue 22 items 2 and 6 on AKS: the router copies the shadow share, so
// `create-version --shadow-percentile --dry-run` prints it in the router's
// config and routing table and changes nothing; the real create-version
// applies a router Secret that carries it.
TEST_F(ComputeAksCliTest, ShadowVersionDryRunShowsTheRouterSettingThenApplies) {
  env_prefix_ = "ASAN_OPTIONS=detect_leaks=0 ";  // as DeployToTheCluster...
  compute_aks::kube::testing::FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "prod1");
  ASSERT_EQ(Skiff({"computetarget", "attach", "aks", "-n", "prodaks", "--subscription", "sub1",
                   "--resource-group", "rg1", "--cluster-name", "prod1"})
                .rc,
            0);
  Spit(Path("ws/compute/prodaks/kubeconfig"),
       kube.KubeconfigYaml(compute_aks::kube::testing::FakeKubeApi::Auth::kToken));
  Spit(Path("model.pt"), "weights");
  ASSERT_EQ(Skiff({"model", "register", "-n", "mlp", "-p", Path("model.pt")}).rc, 0);
  Spit(Path("ic.json"), R"({"inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
                           "outputs": [{"name": "output", "datatype": "FP32", "shape": [-1, 3]}]})");
  Spit(Path("dc.json"), R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml",
                           "shadowQueueSize": 16})");
  std::atomic<bool> stop{false};
  std::thread cloud([&] {
    const std::string path = "/api/v1/namespaces/ml/services/shop";
    while (!stop && !kube.Object(path)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!stop) kube.SetStatus(path, {{"loadBalancer", {{"ingress", {{{"ip", "20.0.0.8"}}}}}}});
  });
  auto created = Skiff({"endpoint", "create", "-n", "shop", "--ct", "prodaks", "--version-name",
                        "live", "-m", "mlp:1", "--ic", Path("ic.json"), "--dc", Path("dc.json")});
  stop = true;
  cloud.join();
  ASSERT_EQ(created.rc, 0) << created.err;

  auto dry = Skiff({"endpoint", "create-version", "-n", "shop", "--version-name", "cand", "-m",
                    "mlp:1", "--ic", Path("ic.json"), "--shadow-percentile", "20", "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  for (const char* needle : {"\"shadowPercentile\": 20", "\"shadowQueueSize\": 16", "shop-cand"}) {
    EXPECT_NE(dry.out.find(needle), std::string::npos) << needle << " in\n" << dry.out;
  }
  EXPECT_FALSE(kube.Object("/apis/apps/v1/namespaces/ml/deployments/shop-cand"))
      << "a dry run applies nothing";
  EXPECT_EQ(Json({"endpoint", "show", "-n", "shop", "-o", "json"})["versions"].size(), 1u)
      << "and records nothing";

  auto added = Skiff({"endpoint", "create-version", "-n", "shop", "--version-name", "cand", "-m",
                      "mlp:1", "--ic", Path("ic.json"), "--shadow-percentile", "20"});
  ASSERT_EQ(added.rc, 0) << added.err;
  auto secret = kube.Object("/api/v1/namespaces/ml/secrets/shop-server");
  ASSERT_TRUE(secret.has_value());
  const nlohmann::json router = nlohmann::json::parse(
      (*secret)["stringData"]["server-router.json"].get<std::string>(), nullptr, false);
  ASSERT_TRUE(router.is_object()) << secret->dump();
  bool found = false;
  for (const auto& v : router["versions"]) {
    if (v["name"] == "cand") {
      found = true;
      EXPECT_EQ(v["shadowPercentile"], 20) << v.dump();
      EXPECT_EQ(v["trafficPercentile"], 0) << v.dump();
    }
  }
  EXPECT_TRUE(found) << router.dump();
  EXPECT_EQ(router["deploymentConfig"]["shadowQueueSize"], 16);
  ASSERT_EQ(Skiff({"endpoint", "delete", "-n", "shop"}).rc, 0);
}

}  // namespace
}  // namespace skiff::testing
