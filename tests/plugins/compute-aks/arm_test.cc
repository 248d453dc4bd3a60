// SPDX-License-Identifier: Apache-2.0
// The AKS target against FakeArm (a contract-enforcing loopback ARM + token
// endpoint), with an injected clock so waits take no time.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aks_compute_target.h"
#include "fake_arm.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;
using testing::FakeArm;
using testing::FakeClock;
using testing::Fault;
namespace fs = std::filesystem;

const char* kSub = "00000000-0000-0000-0000-000000000001";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ComputeAksArmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-aks-XXXXXX").string();
    ws_ = ::mkdtemp(tmpl.data());
    env_ = {{"AZURE_TENANT_ID", FakeArm::kTenant},
            {"AZURE_CLIENT_ID", FakeArm::kClientId},
            {"AZURE_CLIENT_SECRET", FakeArm::kClientSecret},
            {"AZURE_AUTHORITY_HOST", arm_.url()},
            {"SKIFF_ARM_ENDPOINT", arm_.url()}};
  }
  void TearDown() override { fs::remove_all(ws_); }

  std::unique_ptr<AksComputeTarget> Target(const json& config) {
    auto parsed = ParseAksConfig(config.dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    AksTargetOptions o;
    o.config = *parsed;
    o.clock = clock_;
    auto env = env_;
    o.env = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    o.retry.seed = 7;
    o.progress = [this](const std::string& line) { progress_.push_back(line); };
    return AksComputeTarget::Create(std::move(o)).value();
  }
  json Create(json extra = json::object()) {
    json j = {{"subscriptionId", kSub}, {"resourceGroup", "rg1"}, {"location", "eastus"}};
    if (extra.is_object()) j.update(extra);
    return j;
  }
  json AttachConfig(const std::string& cluster) {
    return {{"configType", "attach"},
            {"resourceId", std::string("/subscriptions/") + kSub +
                               "/resourceGroups/rg1/providers/Microsoft.ContainerService/"
                               "managedClusters/" +
                               cluster}};
  }
  ComputeSpec Spec(const std::string& name) { return ComputeSpec{name, "aks", "{}", ws_}; }
  json Info(const std::string& name) {
    return json::parse(Slurp(ws_ + "/compute/" + name + "/cluster.json"), nullptr, false);
  }
  bool SleptFor(std::chrono::milliseconds d) {
    for (auto s : clock_->sleeps()) {
      if (s == d) return true;
    }
    return false;
  }

  FakeArm arm_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::map<std::string, std::string> env_;
  std::vector<std::string> progress_;
  std::string ws_;
};

TEST_F(ComputeAksArmTest, CreateFollowsAzureAsyncOperationAndStoresKubeconfig) {
  arm_.SetOperationStates({"InProgress", "InProgress", "Succeeded"});
  auto target = Target(Create());
  Status s = target->Provision(Spec("aks1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(arm_.Count("PUT", "/managedClusters/aks1?api-version=2024-02-01"), 1);
  EXPECT_EQ(arm_.Count("GET", "/operations/"), 3);
  EXPECT_EQ(arm_.Count("POST", "/managedClusters/aks1/listClusterUserCredential?api-version="), 1);
  const std::string kube = ws_ + "/compute/aks1/kubeconfig";
  EXPECT_EQ(Slurp(kube), "apiVersion: v1\nkind: Config\nclusters:\n- name: aks1\n");
  struct stat st {};
  ASSERT_EQ(::stat(kube.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  json info = Info("aks1");
  EXPECT_EQ(info["provisioningState"], "Succeeded");
  EXPECT_EQ(info["kubernetesVersion"], "1.28.5");
  EXPECT_EQ(info["agentCount"], 3);
  EXPECT_EQ(info["vmSize"], "Standard_D3_v2");
  EXPECT_EQ(info["clusterPurpose"], "FastProd");
  EXPECT_EQ(info["attached"], false);
  EXPECT_TRUE(SleptFor(std::chrono::milliseconds(1000))) << "Retry-After: 1 honoured";
  int in_progress = 0;
  for (const auto& line : progress_) in_progress += line.find("InProgress") != std::string::npos;
  EXPECT_EQ(in_progress, 2);
  // Every ARM call carried the bearer token; the secret never went to ARM.
  for (const auto& r : arm_.requests()) {
    if (r.target.find("/oauth2/") != std::string::npos) continue;
    EXPECT_EQ(r.headers.at("authorization"), "Bearer issued-1") << r.target;
    EXPECT_EQ(r.body.find(FakeArm::kClientSecret), std::string::npos);
  }
  EXPECT_EQ(arm_.token_requests(), 1) << "one token for all calls (cached)";
  for (const auto& line : progress_) EXPECT_EQ(line.find("issued-1"), std::string::npos);
}

TEST_F(ComputeAksArmTest, PutBodyIsWhatTheFakeArmAccepts) {
  auto target = Target(
      Create({{"loadBalancerType", "InternalLoadBalancer"}, {"loadBalancerSubnet", "ilb-subnet"}}));
  ASSERT_TRUE(target->Provision(Spec("ilb1")).ok());
  json body = arm_.LastPutBody();
  EXPECT_EQ(body["location"], "eastus");
  EXPECT_EQ(body["properties"]["agentPoolProfiles"][0]["mode"], "System");
  EXPECT_EQ(body["tags"]["skiff-load-balancer-subnet"], "ilb-subnet");
}

TEST_F(ComputeAksArmTest, FailedOperationSurfacesArmErrorCodeAndMessage) {
  arm_.SetOperationStates({"InProgress", "Failed"});
  arm_.SetOperationError("QuotaExceeded",
                         "Operation could not be completed as it results in "
                         "exceeding approved standardDv2Family Cores quota.");
  auto target = Target(Create());
  Status s = target->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_NE(s.message().find("Failed: QuotaExceeded: Operation could not be completed"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(Info("aks1")["provisioningState"], "Failed");
  EXPECT_FALSE(fs::exists(ws_ + "/compute/aks1/kubeconfig"));
}

TEST_F(ComputeAksArmTest, CanceledOperation) {
  arm_.SetOperationStates({"Canceled"});
  arm_.SetOperationError("OperationCanceled", "The operation was canceled by the user.");
  Status s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_NE(s.message().find("Canceled: OperationCanceled"), std::string::npos) << s.message();
  EXPECT_EQ(Info("aks1")["provisioningState"], "Canceled");
}

TEST_F(ComputeAksArmTest, LocationOnlyOperationPollsUntil200) {
  arm_.SetLocationOnly(true);
  arm_.SetOperationStates({"InProgress", "InProgress", "Succeeded"});
  Status s = Target(Create())->Provision(Spec("aks1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(arm_.Count("GET", "/operationresults/"), 3);
  EXPECT_EQ(arm_.Count("GET", "/operations/"), 0);
  EXPECT_EQ(Info("aks1")["provisioningState"], "Succeeded");
}

TEST_F(ComputeAksArmTest, ThrottledPollHonoursRetryAfter) {
  arm_.AddFault(Fault{"GET /subscriptions/", 429, {{"Retry-After", "7"}}, 1});
  ASSERT_TRUE(Target(Create())->Provision(Spec("aks1")).ok());
  EXPECT_TRUE(SleptFor(std::chrono::milliseconds(7000)));
}

TEST_F(ComputeAksArmTest, ServerErrorThenSuccessIsRetried) {
  arm_.AddFault(Fault{"PUT /subscriptions/", 500, {}, 1});
  ASSERT_TRUE(Target(Create())->Provision(Spec("aks1")).ok());
  EXPECT_EQ(arm_.Count("PUT", "/managedClusters/aks1"), 2);
  EXPECT_EQ(clock_->sleeps().front() <= std::chrono::milliseconds(1000), true)
      << "first backoff is full jitter under the 1 s base";
}

TEST_F(ComputeAksArmTest, DroppedConnectionThenSuccessIsRetried) {
  arm_.AddFault(Fault{"GET /subscriptions/" + std::string(kSub) + "/providers", 0, {}, 1});
  ASSERT_TRUE(Target(Create())->Provision(Spec("aks1")).ok());
  EXPECT_EQ(arm_.Count("GET", "/operations/"), 3) << "one dropped poll, then two real ones";
}

TEST_F(ComputeAksArmTest, PostIsNotRetriedBlindly) {
  arm_.AddFault(Fault{"POST /subscriptions/", 500, {}, 1});
  Status s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(arm_.Count("POST", "listClusterUserCredential"), 1);
}

TEST_F(ComputeAksArmTest, PostIsRetriedOn429WithRetryAfter) {
  arm_.AddFault(Fault{"POST /subscriptions/", 429, {{"retry-after-ms", "300"}}, 1});
  ASSERT_TRUE(Target(Create())->Provision(Spec("aks1")).ok());
  EXPECT_EQ(arm_.Count("POST", "listClusterUserCredential"), 2);
  EXPECT_TRUE(SleptFor(std::chrono::milliseconds(300)));
}

TEST_F(ComputeAksArmTest, RetriesAreBoundedInTime) {
  arm_.AddFault(Fault{"PUT /subscriptions/", 503, {{"Retry-After", "120"}}, 100});
  Status s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(arm_.Count("PUT", "/managedClusters/"), 6) << "5 waits of 120 s fit in 10 min";
}

TEST_F(ComputeAksArmTest, TokenRequestIsAClientCredentialsFormPost) {
  ASSERT_TRUE(Target(Create())->Provision(Spec("aks1")).ok());
  const auto reqs = arm_.requests();
  ASSERT_FALSE(reqs.empty());
  const auto& t = reqs.front();
  EXPECT_EQ(t.method, "POST");
  EXPECT_EQ(t.target, std::string("/") + FakeArm::kTenant + "/oauth2/v2.0/token");
  EXPECT_NE(t.body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_NE(t.body.find("scope=https%3A%2F%2Fmanagement.azure.com%2F.default"), std::string::npos);
  EXPECT_NE(t.body.find("client_secret=s3cret%26%2B%3D"), std::string::npos);
}

TEST_F(ComputeAksArmTest, WrongSecretIsUnauthenticatedWithoutEchoingIt) {
  env_["AZURE_CLIENT_SECRET"] = "wrong-secret";
  Status s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("invalid_client"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("wrong-secret"), std::string::npos);
  EXPECT_EQ(arm_.Count("PUT", "/"), 0);
}

TEST_F(ComputeAksArmTest, FixedAccessTokenIsUsedAsIs) {
  env_ = {{"AZURE_ACCESS_TOKEN", FakeArm::kFixedToken}, {"SKIFF_ARM_ENDPOINT", arm_.url()}};
  ASSERT_TRUE(Target(Create())->Provision(Spec("aks1")).ok());
  EXPECT_EQ(arm_.token_requests(), 0);
}

TEST_F(ComputeAksArmTest, UnknownTokenGets401) {
  env_ = {{"AZURE_ACCESS_TOKEN", "forged"}, {"SKIFF_ARM_ENDPOINT", arm_.url()}};
  Status s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("AuthenticationFailed"), std::string::npos) << s.message();
}

TEST_F(ComputeAksArmTest, ServerRequiresApiVersion) {
  auto transport = MakeHttpClientTransport({});
  auto r = transport->Send(
      HttpRequest{"GET",
                  arm_.url() + "/subscriptions/s/resourceGroups/r/providers/"
                               "Microsoft.ContainerService/managedClusters/c",
                  {{"Authorization", std::string("Bearer ") + FakeArm::kFixedToken}},
                  ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("MissingApiVersionParameter"), std::string::npos);
}

TEST_F(ComputeAksArmTest, MissingCredentialsNameTheVariables) {
  env_ = {{"SKIFF_ARM_ENDPOINT", arm_.url()}};
  Status s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("AZURE_CLIENT_SECRET"), std::string::npos);
}

TEST_F(ComputeAksArmTest, PlainHttpToNonLoopbackIsRefused) {
  env_["SKIFF_ARM_ENDPOINT"] = "http://management.azure.com";
  Status s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("plain http://"), std::string::npos) << s.message();
  env_["SKIFF_ARM_ENDPOINT"] = arm_.url();
  env_["AZURE_AUTHORITY_HOST"] = "http://login.microsoftonline.com";
  s = Target(Create())->Provision(Spec("aks1"));
  EXPECT_NE(s.message().find("AZURE_AUTHORITY_HOST"), std::string::npos) << s.message();
  EXPECT_TRUE(arm_.requests().empty());
  auto r = MakeHttpClientTransport({})->Send(HttpRequest{"GET", "http://10.1.2.3/x", {}, ""});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ComputeAksArmTest, NoWaitReturnsAfterThePut) {
  auto target = Target(Create({{"wait", false}}));
  ASSERT_TRUE(target->Provision(Spec("aks1")).ok());
  EXPECT_EQ(arm_.Count("GET", "/operations/"), 0);
  EXPECT_EQ(Info("aks1")["provisioningState"], "Creating");
}

TEST_F(ComputeAksArmTest, RefreshAfterNoWaitWaitsForSucceededAndFetchesKubeconfig) {
  ASSERT_TRUE(Target(Create({{"wait", false}}))->Provision(Spec("aks1")).ok());
  EXPECT_FALSE(fs::exists(ws_ + "/compute/aks1/kubeconfig")) << "--no-wait fetches no kubeconfig";
  arm_.FinishCreatingAfterGets(3);
  // The refresh goes through ComputeTarget::Refresh on the target made from
  // the stored config (it was Attach() with a "refresh" config).
  auto refresher = Target(Create({{"wait", false}}));
  auto refreshed = refresher->Refresh(Spec("aks1"), RefreshOptions{true, false});
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(refreshed->state, "Succeeded");
  EXPECT_EQ(arm_.Count("GET", "/managedClusters/aks1?api-version=2024-02-01"), 3);
  EXPECT_EQ(arm_.Count("POST", "/managedClusters/aks1/listClusterUserCredential"), 1);
  EXPECT_TRUE(fs::exists(ws_ + "/compute/aks1/kubeconfig"));
  json info = Info("aks1");
  EXPECT_EQ(info["provisioningState"], "Succeeded");
  EXPECT_EQ(info["attached"], false) << "a refresh keeps the link as it was";
  EXPECT_EQ(clock_->sleeps().size(), 2u) << "15 s between the three GETs";
  EXPECT_TRUE(SleptFor(std::chrono::milliseconds(15000)));
  int creating = 0;
  for (const auto& line : progress_) creating += line.find("Creating") != std::string::npos;
  EXPECT_GE(creating, 2);
}

TEST_F(ComputeAksArmTest, RefreshWithoutWaitReportsTheCurrentState) {
  ASSERT_TRUE(Target(Create({{"wait", false}}))->Provision(Spec("aks1")).ok());
  auto refresher = Target(Create({{"wait", false}}));
  ASSERT_TRUE(refresher->Refresh(Spec("aks1"), RefreshOptions{}).ok());
  EXPECT_EQ(arm_.Count("GET", "/managedClusters/aks1?"), 1);
  EXPECT_EQ(Info("aks1")["provisioningState"], "Creating");
  EXPECT_FALSE(fs::exists(ws_ + "/compute/aks1/kubeconfig"));
  EXPECT_TRUE(clock_->sleeps().empty());
}

TEST_F(ComputeAksArmTest, RefreshWaitEndingInFailedIsAborted) {
  ASSERT_TRUE(Target(Create({{"wait", false}}))->Provision(Spec("aks1")).ok());
  arm_.SetClusterState("aks1", "Failed");
  Status s = Target(Create({{"wait", false}}))
                 ->Refresh(Spec("aks1"), RefreshOptions{true, false})
                 .status();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("Failed"), std::string::npos) << s.message();
  EXPECT_EQ(Info("aks1")["provisioningState"], "Failed");
}

TEST_F(ComputeAksArmTest, RefreshOfAClusterGoneFromAzureIsNotFound) {
  arm_.AddCluster(kSub, "rg1", "gone1");
  ASSERT_TRUE(Target(AttachConfig("gone1"))->Attach(Spec("gone1")).ok());
  arm_.SetClusterState("gone1", "Deleting");
  ASSERT_TRUE(Target(AttachConfig("gone1"))->Refresh(Spec("gone1"), RefreshOptions{}).ok());
  EXPECT_EQ(Info("gone1")["provisioningState"], "Deleting");
  arm_.RemoveCluster("gone1");  // deleted behind skiff's back
  Status s = Target(AttachConfig("gone1"))->Refresh(Spec("gone1"), RefreshOptions{}).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("detach 'gone1'"), std::string::npos) << s.message();
  EXPECT_EQ(Info("gone1")["provisioningState"], "NotFound");
  EXPECT_EQ(Info("gone1")["attached"], true);
}

// Refresh is an interface method now: a "refresh" config no longer exists.
TEST_F(ComputeAksArmTest, RefreshIsNotAConfigType) {
  auto c = ParseAksConfig(R"({"configType":"refresh","wait":true})");
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("must be provisioning or attach"), std::string::npos)
      << c.status().message();
}

TEST_F(ComputeAksArmTest, AttachGetsTheClusterAndKubeconfig) {
  arm_.AddCluster(kSub, "rg1", "existing");
  auto target = Target(AttachConfig("existing"));
  Status s = target->Attach(Spec("att1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  json info = Info("att1");
  EXPECT_EQ(info["attached"], true);
  EXPECT_EQ(info["agentCount"], 3);
  EXPECT_EQ(info["vmSize"], "Standard_DS3_v2");
  EXPECT_EQ(info["provisioningState"], "Succeeded");
  EXPECT_TRUE(fs::exists(ws_ + "/compute/att1/kubeconfig"));
  // Already attached under another name: refused, naming the holder.
  s = Target(AttachConfig("EXISTING"))->Attach(Spec("att2"));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("'att1'"), std::string::npos) << s.message();
  // Detach removes the link only; the cluster stays.
  ASSERT_TRUE(target->Detach(Spec("att1")).ok());
  EXPECT_FALSE(fs::exists(ws_ + "/compute/att1"));
  EXPECT_TRUE(arm_.HasCluster("existing"));
  EXPECT_EQ(arm_.Count("DELETE", "/"), 0);
  EXPECT_TRUE(Target(AttachConfig("existing"))->Attach(Spec("att2")).ok());
  // An attached cluster is not deleted through skiff.
  EXPECT_EQ(target->Delete(Spec("att2")).code(), StatusCode::kFailedPrecondition);
}

// Version pods serve without auth behind a NetworkPolicy: attaching a
// cluster that enforces none says so (stored, and shown by Describe).
TEST_F(ComputeAksArmTest, AttachWarnsWhenTheClusterEnforcesNoNetworkPolicy) {
  arm_.AddCluster(kSub, "rg1", "open");
  ASSERT_TRUE(Target(AttachConfig("open"))->Attach(Spec("att-open")).ok());
  const std::string warnings = Info("att-open").value("warnings", json::array()).dump();
  EXPECT_NE(warnings.find("enforces no NetworkPolicy"), std::string::npos) << warnings;

  arm_.AddCluster(kSub, "rg1", "guarded");
  arm_.SetNetworkPolicy(kSub, "rg1", "guarded", "calico");
  ASSERT_TRUE(Target(AttachConfig("guarded"))->Attach(Spec("att-guarded")).ok());
  const std::string none = Info("att-guarded").value("warnings", json::array()).dump();
  EXPECT_EQ(none.find("NetworkPolicy"), std::string::npos) << none;
}

TEST_F(ComputeAksArmTest, AttachOfAMissingClusterIsNotFound) {
  Status s = Target(AttachConfig("ghost"))->Attach(Spec("att1"));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("ResourceNotFound"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(ws_ + "/compute/att1"));
}

TEST_F(ComputeAksArmTest, AttachWithABadResourceIdMakesNoCall) {
  auto parsed = ParseAksConfig(
      R"({"configType":"attach","resourceId":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm"})");
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("not an AKS cluster"), std::string::npos);
  EXPECT_TRUE(arm_.requests().empty());
}

TEST_F(ComputeAksArmTest, DeleteFollowsTheOperationAndRemovesLocalFiles) {
  auto target = Target(Create());
  ASSERT_TRUE(target->Provision(Spec("aks1")).ok());
  arm_.SetOperationStates({"InProgress", "InProgress", "Succeeded"});
  Status s = target->Delete(Spec("aks1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(arm_.Count("DELETE", "/managedClusters/aks1?api-version=2024-02-01"), 1);
  EXPECT_FALSE(arm_.HasCluster("aks1"));
  EXPECT_FALSE(fs::exists(ws_ + "/compute/aks1"));
}

TEST_F(ComputeAksArmTest, CreateRefusesAClusterLinkedUnderAnotherName) {
  arm_.AddCluster(kSub, "rg1", "shared1");
  ASSERT_TRUE(Target(AttachConfig("shared1"))->Attach(Spec("first")).ok());
  Status s = Target(Create({{"clusterName", "shared1"}}))->Provision(Spec("second"));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("'first'"), std::string::npos);
}

std::string PropertyOf(const ComputeDescription& d, const std::string& name) {
  for (const auto& p : d.properties) {
    if (p.name == name) return p.value;
  }
  return "<absent>";
}

TEST_F(ComputeAksArmTest, RefreshRefreshesClusterJsonAndDescribes) {
  auto target = Target(Create());
  ASSERT_TRUE(target->Provision(Spec("aks1")).ok());
  auto d = target->Refresh(Spec("aks1"), RefreshOptions{});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->state, "Succeeded");
  EXPECT_EQ(PropertyOf(*d, "fqdn"), "aks1-dns.hcp.eastus.azmk8s.io");
}

// Describe is what `computetarget show|list` print: typed, from the stored
// cluster.json, with no call to Azure (the CLI reads no plugin file).
TEST_F(ComputeAksArmTest, DescribeIsTypedAndCallsNothing) {
  auto target = Target(Create({{"agentCount", 4}}));
  ASSERT_TRUE(target->Provision(Spec("aks1")).ok());
  const size_t calls = arm_.requests().size();
  auto d = Target(Create())->Describe(Spec("aks1"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(arm_.requests().size(), calls) << "no network";
  EXPECT_EQ(d->state, "Succeeded");
  EXPECT_EQ(PropertyOf(*d, "agentCount"), "4");
  EXPECT_EQ(PropertyOf(*d, "vmSize"), "Standard_D3_v2");
  EXPECT_EQ(PropertyOf(*d, "location"), "eastus");
  EXPECT_EQ(PropertyOf(*d, "clusterPurpose"), "FastProd");
  EXPECT_EQ(PropertyOf(*d, "attached"), "false");
  for (const auto& p : d->properties) {
    if (p.name == "agentCount") {
      EXPECT_EQ(p.kind, ComputeProperty::Kind::kNumber);
    } else if (p.name == "attached") {
      EXPECT_EQ(p.kind, ComputeProperty::Kind::kBool);
    }
  }
  EXPECT_EQ(Target(Create())->Describe(Spec("nothere")).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ComputeAksArmTest, InvalidNameIsRefusedBeforeAnyCall) {
  Status s = Target(Create())->Provision(Spec("ab"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(arm_.requests().empty());
}

// Issue 18 item 4: `--registry` makes the cluster able to pull from an ACR
// (AcrPull for the kubelet identity, once per cluster and registry).
class ComputeAksAcrPullTest : public ComputeAksArmTest {
 protected:
  // The one AcrPull assignment the fake ARM holds, checked field by field.
  void ExpectOneAcrPull(const std::string& registry_rg, const std::string& cluster) {
    const auto assignments = arm_.role_assignments();
    ASSERT_EQ(assignments.size(), 1u);
    const json& a = assignments[0];
    EXPECT_EQ(a["scope"], FakeArm::RegistryId(kSub, registry_rg, "myacr"));
    EXPECT_EQ(a["properties"]["principalId"], FakeArm::KubeletObjectId(cluster));
    EXPECT_EQ(a["properties"]["principalType"], "ServicePrincipal");
    EXPECT_EQ(a["properties"]["roleDefinitionId"],
              std::string("/subscriptions/") + kSub +
                  "/providers/Microsoft.Authorization/roleDefinitions/"
                  "7f951dda-4ed3-4680-a7ca-43fe172d538d");
  }
};

TEST_F(ComputeAksAcrPullTest, CreateWithAcrGrantsTheKubeletIdentityAcrPullOnce) {
  arm_.AddRegistry(kSub, "rg1", "myacr");
  Status s = Target(Create({{"registry", "myacr"}}))->Provision(Spec("aks1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectOneAcrPull("rg1", "aks1");
  EXPECT_EQ(Info("aks1")["registry"], "myacr.azurecr.io");
  // A retry (the same create again) PUTs the same assignment: none new.
  s = Target(Create({{"registry", "myacr"}}))->Provision(Spec("aks1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectOneAcrPull("rg1", "aks1");
  EXPECT_EQ(arm_.Count("PUT", "/roleAssignments/"), 2);
}

TEST_F(ComputeAksAcrPullTest, AttachWithAcrElsewhereInTheSubscriptionGrantsAcrPullOnce) {
  arm_.AddCluster(kSub, "rg1", "existing");
  arm_.AddRegistry(kSub, "shared-rg", "myacr");
  json config = AttachConfig("existing");
  config["registry"] = "MyAcr.azurecr.io";
  auto target = Target(config);
  Status s = target->Attach(Spec("att1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectOneAcrPull("shared-rg", "existing");
  EXPECT_EQ(arm_.Count("GET", "/providers/Microsoft.ContainerRegistry/registries?api-version="), 1);
  // Detach and attach again: the assignment is already there.
  ASSERT_TRUE(target->Detach(Spec("att1")).ok());
  ASSERT_TRUE(Target(config)->Attach(Spec("att1")).ok());
  ExpectOneAcrPull("shared-rg", "existing");
}

TEST_F(ComputeAksAcrPullTest, MissingRegistryRefusesCreateBeforeTheCluster) {
  Status s = Target(Create({{"registry", "ghostacr"}}))->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);  // the SDK leaves no record for it
  EXPECT_NE(s.message().find("--registry ghostacr"), std::string::npos) << s.message();
  EXPECT_EQ(arm_.Count("PUT", "/"), 0);
  EXPECT_FALSE(arm_.HasCluster("aks1"));
  EXPECT_FALSE(fs::exists(ws_ + "/compute/aks1"));
}

TEST_F(ComputeAksAcrPullTest, MissingRegistryRefusesAttachAndStoresNothing) {
  arm_.AddCluster(kSub, "rg1", "existing");
  json config = AttachConfig("existing");
  config["registry"] = "ghostacr";
  Status s = Target(config)->Attach(Spec("att1"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--registry ghostacr"), std::string::npos) << s.message();
  EXPECT_TRUE(arm_.role_assignments().empty());
  EXPECT_FALSE(fs::exists(ws_ + "/compute/att1"));
}

TEST_F(ComputeAksAcrPullTest, ARefusedRoleAssignmentFailsTheAttach) {
  arm_.AddCluster(kSub, "rg1", "existing");
  arm_.AddRegistry(kSub, "rg1", "myacr");
  arm_.AddFault(Fault{"/roleAssignments/", 403, {}, 1});
  json config = AttachConfig("existing");
  config["registry"] = "myacr";
  Status s = Target(config)->Attach(Spec("att1"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("AcrPull"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(ws_ + "/compute/att1"));
}

// Another registry: no ARM call; the kubelet pulls with the user's docker
// credentials for that host only, kept 0600 for the renderer.
TEST_F(ComputeAksAcrPullTest, AnotherRegistryKeepsOnlyItsDockerCredentials) {
  arm_.AddCluster(kSub, "rg1", "existing");
  const std::string docker = ws_ + "/docker-config.json";
  std::ofstream(docker) << json{{"auths",
                                 {{"registry.example:5000", {{"auth", "dXNlcjE6cGFzczE="}}},
                                  {"other.example", {{"auth", "b3RoZXI6c2VjcmV0Mg=="}}}}}}
                               .dump();
  json config = AttachConfig("existing");
  config["registry"] = "registry.example:5000";
  config["registryConfig"] = ws_ + "/nothere.json";
  Status s = Target(config)->Attach(Spec("att1"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_FALSE(fs::exists(ws_ + "/compute/att1"));
  config["registry"] = "unknown.example";
  config["registryConfig"] = docker;
  s = Target(config)->Attach(Spec("att1"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("docker login unknown.example"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(ws_ + "/compute/att1"));

  config["registry"] = "registry.example:5000";
  s = Target(config)->Attach(Spec("att1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(arm_.Count("GET", "ContainerRegistry"), 0);
  EXPECT_TRUE(arm_.role_assignments().empty());
  EXPECT_EQ(Info("att1")["registry"], "registry.example:5000");
  const std::string kept = ws_ + "/compute/att1/registry-auth.json";
  const json auth = json::parse(Slurp(kept));
  EXPECT_EQ(auth["auths"].size(), 1u);
  EXPECT_EQ(auth["auths"]["registry.example:5000"]["username"], "user1");
  EXPECT_EQ(auth["auths"]["registry.example:5000"]["auth"], "dXNlcjE6cGFzczE=");
  struct stat st {};
  ASSERT_EQ(::stat(kept.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& line : progress_) EXPECT_EQ(line.find("pass1"), std::string::npos) << line;
}

// Issue 19 item 2: the front door's certificate and key are kept with the
// target (0600), never printed, so every deploy can render them; a key file
// that holds no PEM key is refused before anything is created.
TEST_F(ComputeAksArmTest, CreateWithSslKeepsTheCertificateAndKeyPrivately) {
  const std::string cert = ws_ + "/given-cert.pem", key = ws_ + "/given-key.pem";
  std::ofstream(cert) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  std::ofstream(key) << "-----BEGIN PRIVATE KEY-----\nsecretKEYbytes\n-----END PRIVATE KEY-----\n";
  const json ssl = {
      {"sslCname", "www.contoso.com"}, {"sslCertPemFile", cert}, {"sslKeyPemFile", key}};
  Status s = Target(Create(ssl))->Provision(Spec("aks1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (const char* file : {"tls.crt", "tls.key"}) {
    const std::string kept = ws_ + "/compute/aks1/" + file;
    struct stat st {};
    ASSERT_EQ(::stat(kept.c_str(), &st), 0) << kept;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << kept;
  }
  EXPECT_EQ(Slurp(ws_ + "/compute/aks1/tls.key"), Slurp(key));
  for (const auto& line : progress_) EXPECT_EQ(line.find("secretKEY"), std::string::npos) << line;

  std::ofstream(key) << "not a key\n";
  json other = ssl;
  Status refused = Target(Create(other))->Provision(Spec("aks2"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("`sslKeyPemFile` '" + key + "' holds no PEM private key"),
            std::string::npos)
      << refused.message();
  EXPECT_EQ(arm_.Count("PUT", "/managedClusters/aks2"), 0) << "refused before anything is created";
}

}  // namespace
}  // namespace skiff::compute_aks
