// SPDX-License-Identifier: Apache-2.0
// Issue 18 item 6, one deploy command, through the real CLI: an aks target
// attached on the loopback FakeArm with `--registry` naming a real
// docker-registry on 127.0.0.1 (htpasswd; the push credentials from
// `--registry-config`), the cluster a FakeKubeApi. `model deploy` builds
// the server image and the model's image, pushes them, and the applied
// Deployments name them by digest; `service update` with another model
// builds and uploads only that model's layer and its image's config.
#include <sys/stat.h>

#include <regex>

#include "cli_aks_harness.h"
#include "oci_test_tools.h"
#include "skiff/util/base64.h"
#include "test_registry.h"

namespace skiff::testing {
namespace {

using oci::testing::MustRun;
using oci::testing::TestRegistry;

class ComputeAksDeployCliTest : public AksCliFixture {
 protected:
  void SetUp() override {
    AksCliFixture::SetUp();
    // The test accelerator (y = 2x) keeps the image small: no libtorch.
    env_prefix_ += std::string("SKIFF_PLUGIN_PATH=") + SKIFF_TEST_MODEL_PLUGIN_DIR + " ";
  }

  // Models `first` and `second` (`bytes` each), ic.json for the test
  // accelerator and dc.json (one replica in namespace ml).
  void RegisterTwoModels(size_t bytes) {
    Spit(Path("m1.bin"), std::string(bytes, '1'));
    Spit(Path("m2.bin"), std::string(bytes, '2'));
    ASSERT_EQ(Skiff({"model", "register", "-n", "first", "-p", Path("m1.bin")}).rc, 0);
    ASSERT_EQ(Skiff({"model", "register", "-n", "second", "-p", Path("m2.bin")}).rc, 0);
    Spit(Path("ic.json"), R"({"accelerator": "testmodel",
                             "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
                             "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}]})");
    Spit(Path("dc.json"), R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml"})");
  }

  // docker/config.json (0600) with the push credentials for `registry`.
  void WriteDockerConfig(const TestRegistry& registry) {
    const nlohmann::json docker = {
        {"auths",
         {{registry.host(),
           {{"auth", Base64Encode("pusher:pw-123", Base64Alphabet::kStandard)}}}}}};
    Spit(Path("docker/config.json"), docker.dump());
    ::chmod(Path("docker/config.json").c_str(), 0600);
  }

  // The container images of a Deployment the fake cluster holds.
  std::string ImageOf(const FakeKubeApi& kube, const std::string& deployment) {
    auto d = kube.Object("/apis/apps/v1/namespaces/ml/deployments/" + deployment);
    if (!d) return "(no Deployment " + deployment + ")";
    return (*d)["spec"]["template"]["spec"]["containers"][0].value("image", "");
  }

  // "Push done: N blobs uploaded (...)" -> N, -1 when the line is missing.
  static int Uploaded(const std::string& err) {
    std::smatch m;
    if (!std::regex_search(err, m, std::regex("Push done: ([0-9]+) blobs uploaded"))) return -1;
    return std::stoi(m[1]);
  }
};

TEST_F(ComputeAksDeployCliTest, DeployBuildsAndPushesThenUpdateUploadsOnlyTheNewModel) {
  fs::create_directories(Path("registry"));
  TestRegistry registry(Path("registry"), {"pusher", "pw-123", "", ""});
  ASSERT_TRUE(registry.ok());
  WriteDockerConfig(registry);

  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "prod1");
  // --registry-config: a file that is not there, or has no entry for the
  // host, refuses the attach before anything is recorded.
  auto missing = AttachExisting(
      "prodaks", "prod1",
      {"--registry", registry.host(), "--registry-config", Path("docker/none.json")});
  EXPECT_EQ(missing.rc, 2) << missing.err;  // a usage error, as CLI11 checks the path
  EXPECT_NE(missing.err.find("none.json"), std::string::npos) << missing.err;
  Spit(Path("docker/other.json"), R"({"auths": {"elsewhere.example": {"auth": "dTpw"}}})");
  ::chmod(Path("docker/other.json").c_str(), 0600);
  auto other = AttachExisting(
      "prodaks", "prod1",
      {"--registry", registry.host(), "--registry-config", Path("docker/other.json")});
  EXPECT_NE(other.rc, 0);
  EXPECT_NE(other.err.find("skiff: error: "), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("docker login " + registry.host()), std::string::npos) << other.err;
  EXPECT_EQ(Json({"computetarget", "list", "--output", "json"}).size(), 0u) << "no record left";

  auto attached = AttachExisting(
      "prodaks", "prod1",
      {"--registry", registry.host(), "--registry-config", Path("docker/config.json")});
  ASSERT_EQ(attached.rc, 0) << attached.err;
  UseCluster("prodaks", kube);

  ASSERT_NO_FATAL_FAILURE(RegisterTwoModels(40000));

  // --dry-run builds (no network) and names the digests a push would give.
  auto dry = Skiff({"model", "deploy", "-n", "svc", "-m", "first:1", "--ct", "prodaks", "--ic",
                    Path("ic.json"), "--dc", Path("dc.json"), "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_EQ(dry.err.find("Pushed"), std::string::npos) << dry.err;

  LoadBalancerStandIn cloud(kube, "/api/v1/namespaces/ml/services/svc", "20.0.0.7");
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "first:1", "--ct", "prodaks", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json")});
  cloud.Stop();
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  EXPECT_NE(deployed.err.find("Pushed server:"), std::string::npos) << deployed.err;
  // Piped, progress is whole lines: no carriage-return display.
  EXPECT_EQ(deployed.err.find('\r'), std::string::npos) << deployed.err;
  const int first_uploads = Uploaded(deployed.err);
  // The server image's two layers and config, the model's layer and config.
  EXPECT_EQ(first_uploads, 5) << deployed.err;

  const std::string repo = registry.host() + "/skiff/server@sha256:";
  const std::string router_image = ImageOf(kube, "svc-router");
  const std::string model_image = ImageOf(kube, "svc-model");
  EXPECT_EQ(router_image.rfind(repo, 0), 0u) << router_image;
  EXPECT_EQ(model_image.rfind(repo, 0), 0u) << model_image;
  EXPECT_NE(router_image, model_image);
  // The dry run showed exactly these (the build is reproducible).
  EXPECT_NE(dry.out.find("svc-router/router runs " + router_image), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find(" runs " + model_image), std::string::npos) << dry.out;
  // The nodes pull with the --registry-config entry: the Secret both name.
  EXPECT_TRUE(kube.Object("/api/v1/namespaces/ml/secrets/svc-registry"));
  for (const std::string& ref : {router_image, model_image}) {
    const auto out = MustRun(
        {"skopeo", "inspect", "--tls-verify=false", "--creds", "pusher:pw-123", "docker://" + ref});
    ASSERT_FALSE(out.empty());
    const nlohmann::json seen = nlohmann::json::parse(out);
    EXPECT_EQ(seen["Digest"], ref.substr(ref.find('@') + 1)) << "the registry holds what pods pull";
    EXPECT_EQ(seen["Labels"]["org.opencontainers.image.licenses"], "Apache-2.0");
  }
  // No credential in what was printed.
  EXPECT_EQ(deployed.err.find("pw-123"), std::string::npos);
  EXPECT_EQ(deployed.out.find("pw-123"), std::string::npos);

  // Another model: the server image is reused as built, and only the new
  // model's layer and its image's config travel.
  auto updated = Skiff({"service", "update", "-n", "svc", "-m", "second:1"});
  ASSERT_EQ(updated.rc, 0) << updated.err;
  EXPECT_NE(updated.err.find("1 layer written, 2 reused"), std::string::npos) << updated.err;
  EXPECT_EQ(Uploaded(updated.err), 2) << updated.err;
  EXPECT_EQ(ImageOf(kube, "svc-router"), router_image) << "same server image, same digest";
  const std::string new_model_image = ImageOf(kube, "svc-model");
  EXPECT_EQ(new_model_image.rfind(repo, 0), 0u) << new_model_image;
  EXPECT_NE(new_model_image, model_image);
  EXPECT_FALSE(MustRun({"skopeo", "inspect", "--tls-verify=false", "--creds", "pusher:pw-123",
                        "docker://" + new_model_image})
                   .empty());
}

// The endpoint verbs take the same path: a version added to an endpoint
// pushes only its model's layer and config, and its Deployment runs that
// image while the first version keeps its own.
TEST_F(ComputeAksDeployCliTest, CreateVersionPushesOnlyTheNewVersionsModel) {
  fs::create_directories(Path("registry"));
  TestRegistry registry(Path("registry"), {"pusher", "pw-123", "", ""});
  ASSERT_TRUE(registry.ok());
  WriteDockerConfig(registry);
  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "prod1");
  ASSERT_EQ(AttachExisting(
                "prodaks", "prod1",
                {"--registry", registry.host(), "--registry-config", Path("docker/config.json")})
                .rc,
            0);
  UseCluster("prodaks", kube);
  ASSERT_NO_FATAL_FAILURE(RegisterTwoModels(30000));

  LoadBalancerStandIn cloud(kube, "/api/v1/namespaces/ml/services/ep1", "20.0.0.8");
  auto created = Skiff({"endpoint", "create", "-n", "ep1", "--ct", "prodaks", "--version-name",
                        "v1", "-m", "first:1", "--ic", Path("ic.json"), "--dc", Path("dc.json")});
  cloud.Stop();
  ASSERT_EQ(created.rc, 0) << created.err;
  EXPECT_EQ(Uploaded(created.err), 5) << created.err;
  const std::string v1_image = ImageOf(kube, "ep1-v1");
  EXPECT_EQ(v1_image.rfind(registry.host() + "/skiff/server@sha256:", 0), 0u) << v1_image;

  auto added = Skiff({"endpoint", "create-version", "-n", "ep1", "--version-name", "v2", "-m",
                      "second:1", "--ic", Path("ic.json"), "--traffic-percentile", "10"});
  ASSERT_EQ(added.rc, 0) << added.err;
  EXPECT_EQ(Uploaded(added.err), 2) << added.err;
  EXPECT_EQ(ImageOf(kube, "ep1-v1"), v1_image) << "the first version keeps its image";
  const std::string v2_image = ImageOf(kube, "ep1-v2");
  EXPECT_EQ(v2_image.rfind(registry.host() + "/skiff/server@sha256:", 0), 0u) << v2_image;
  EXPECT_NE(v2_image, v1_image);
}

// Without a registry the deploy still applies the default tag, and says
// how to get images built and pushed.
TEST_F(ComputeAksDeployCliTest, WithoutARegistryTheDeploySaysWhatToDo) {
  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "bare1");
  ASSERT_EQ(AttachExisting("bareaks", "bare1").rc, 0);
  Spit(Path("m.bin"), "weights");
  ASSERT_EQ(Skiff({"model", "register", "-n", "mm", "-p", Path("m.bin")}).rc, 0);
  Spit(Path("dc.json"), R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml"})");
  Spit(Path("ic.json"), R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
                           "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}]})");
  auto dry = Skiff({"model", "deploy", "-n", "svc", "-m", "mm:1", "--ct", "bareaks", "--ic",
                    Path("ic.json"), "--dc", Path("dc.json"), "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_NE(dry.out.find("(by tag, not by digest)"), std::string::npos) << dry.out;
  UseCluster("bareaks", kube);
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mm:1", "--ct", "bareaks", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json"), "--no-wait"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  EXPECT_NE(deployed.err.find("--registry"), std::string::npos) << deployed.err;
  EXPECT_NE(deployed.err.find("kubernetes.image"), std::string::npos) << deployed.err;

  // Issue 23 item 1: --only-show-errors drops the plugin's warning line too.
  auto quiet =
      Skiff({"service", "update", "-n", "svc", "--dc", Path("dc.json"), "--only-show-errors"});
  ASSERT_EQ(quiet.rc, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("warning:"), std::string::npos) << quiet.err;
  auto loud = Skiff({"service", "update", "-n", "svc", "--dc", Path("dc.json")});
  ASSERT_EQ(loud.rc, 0) << loud.err;
  EXPECT_NE(loud.err.find("warning: compute target 'bareaks' has no registry"), std::string::npos)
      << loud.err;
}

// Issue 18 item 4: the AcrPull grant create/attach made goes with the
// target (detach keeps the cluster, delete removes it; both remove the grant).
TEST_F(ComputeAksDeployCliTest, DetachAndDeleteRemoveTheAcrPullGrant) {
  arm_.AddRegistry("sub1", "rg1", "myacr");
  arm_.AddCluster("sub1", "rg1", "existing");
  auto attached = AttachExisting("att1", "existing", {"--registry", "myacr"});
  ASSERT_EQ(attached.rc, 0) << attached.err;
  ASSERT_EQ(arm_.role_assignments().size(), 1u);
  auto detached = Skiff({"computetarget", "detach", "-n", "att1"});
  ASSERT_EQ(detached.rc, 0) << detached.err;
  EXPECT_EQ(arm_.role_assignments().size(), 0u);
  EXPECT_TRUE(arm_.HasCluster("existing")) << "detach leaves the cluster";

  auto created = Skiff({"computetarget", "create", "aks", "-n", "made1", "--subscription", "sub1",
                        "--resource-group", "rg1", "--location", "eastus", "--registry", "myacr"});
  ASSERT_EQ(created.rc, 0) << created.err;
  ASSERT_EQ(arm_.role_assignments().size(), 1u);
  auto deleted = Skiff({"computetarget", "delete", "-n", "made1", "--yes"});
  ASSERT_EQ(deleted.rc, 0) << deleted.err;
  EXPECT_EQ(arm_.role_assignments().size(), 0u);
  EXPECT_EQ(arm_.Count("DELETE", "/roleAssignments/"), 2);
}

}  // namespace
}  // namespace skiff::testing
