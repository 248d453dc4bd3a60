// SPDX-License-Identifier: Apache-2.0
// Issue 17 item 3: no plugin knowledge outside the plugin. A compute plugin
// the SDK and CLI have never heard of (tests/sdk/fakes/fake_compute.cc) is
// listed, created and shown through the real CLI, its description printed
// from ComputeTarget::Describe; and the local target, created with no
// options, finds skiff-server and skiff-supervisor by itself.
#include "cli_harness.h"
#include "skiff/store/workspace_store.h"

namespace skiff::testing {
namespace {

class ComputePluginCliTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    env_prefix_ = "SKIFF_PLUGIN_PATH=" + Quote(FAKE_COMPUTE_DIR) + " ";
  }
};

TEST_F(ComputePluginCliTest, AnyInstalledComputePluginIsCreatedAndDescribed) {
  auto plugins = Json({"plugins", "list", "--output", "json"});
  bool listed = false;
  for (const auto& p : plugins["plugins"]) {
    listed = listed || (p["kind"] == "compute" && p["name"] == "fakecloud");
  }
  EXPECT_TRUE(listed) << plugins.dump();

  Spit(Path("c1.json"), R"({"region": "mars-1"})");
  auto created = Skiff({"computetarget", "create", "fakecloud", "-n", "c1", "--config",
                        Path("c1.json"), "--output", "json"});
  ASSERT_EQ(created.rc, 0) << created.err;
  auto shown = Json({"computetarget", "show", "-n", "c1", "--output", "json"});
  EXPECT_EQ(shown["computeType"], "fakecloud");
  EXPECT_EQ(shown["provisioningState"], "Succeeded");
  EXPECT_EQ(shown["region"], "mars-1");
  EXPECT_EQ(shown["nodes"], 5) << "typed as the plugin said";
  EXPECT_EQ(shown["spot"], true);
  EXPECT_EQ(shown["warnings"][0], "this cloud is pretend");
  auto listed_targets = Json({"computetarget", "list", "--output", "json"});
  ASSERT_EQ(listed_targets.size(), 1u);
  EXPECT_EQ(listed_targets[0]["region"], "mars-1");

  ExpectOneLineError(Skiff({"computetarget", "create", "nosuchcloud", "-n", "c2"}), "nosuchcloud");
  ExpectOneLineError(Skiff({"computetarget", "create"}), "give the target's type");
}

// The SDK used to build the local target's serverBinary/supervisorBinary/
// pluginPath options; now the stored config is empty and the plugin finds
// its programs (beside its own .so: build/lib/skiff/plugins -> build/bin).
TEST_F(ComputePluginCliTest, LocalTargetFindsItsOwnPrograms) {
  auto created = Skiff({"computetarget", "create", "local", "-n", "loc", "--output", "json"});
  ASSERT_EQ(created.rc, 0) << created.err;
  EXPECT_EQ(nlohmann::json::parse(created.out)["provisioningState"], "Succeeded");
  auto store = store::WorkspaceStore::Open(Path("ws"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto record = (*store)->GetComputeTarget("loc");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->config_json, "{}") << "no plugin-private keys built by the SDK";
  Spit(Path("model.pt"), "weights");
  ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("model.pt")}).rc, 0);
  Spit(Path("ic.json"), R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
                           "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 3]}]})");
  // A wrong override is named rather than quietly replaced by another binary.
  auto overridden = env_prefix_;
  env_prefix_ += "SKIFF_SERVER_BINARY=/nonexistent/skiff-server ";
  ExpectOneLineError(
      Skiff({"model", "deploy", "-n", "svc1", "-m", "m:1", "--ct", "loc", "--ic", Path("ic.json")}),
      "/nonexistent/skiff-server");
  env_prefix_ = overridden;
}

}  // namespace
}  // namespace skiff::testing
