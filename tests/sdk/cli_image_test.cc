// SPDX-License-Identifier: Apache-2.0
// `skiff image build` and `skiff image push` through the real CLI (issue 18
// items 1-3): a registered model becomes its own layer on the server image,
// the push lands in a real docker-registry with htpasswd auth from a docker
// config.json, skopeo reads it back, and a second push uploads nothing.
#include <sys/stat.h>

#include "cli_harness.h"
#include "oci_test_tools.h"
#include "skiff/util/base64.h"
#include "test_registry.h"

namespace skiff::testing {
namespace {

using oci::testing::MustRun;

class CliImageTest : public CliFixture {};

TEST_F(CliImageTest, BuildThenPushThenPushAgain) {
  Spit(dir_ + "/model.bin", std::string(50000, 'm'));
  ASSERT_EQ(Skiff({"model", "register", "-p", dir_ + "/model.bin", "-n", "mm"}).rc, 0);
  // Only the auth plugin: the test stays small (the default is every
  // accelerator and auth plugin beside the server).
  fs::create_directories(dir_ + "/plugins");
  fs::copy_file(SKIFF_TEST_AUTH_PLUGIN,
                dir_ + "/plugins/" + fs::path(SKIFF_TEST_AUTH_PLUGIN).filename().string());

  const nlohmann::json built =
      Json({"image", "build", "-m", "mm:1", "--output-dir", dir_ + "/layout", "--plugin-dir",
            dir_ + "/plugins", "--gzip-level", "1", "--output", "json"});
  ASSERT_EQ(built.size(), 2u) << built;
  EXPECT_EQ(built[0]["image"], "server");
  EXPECT_EQ(built[1]["image"], "mm-1");
  EXPECT_EQ(built[1]["model"], "mm:1");
  EXPECT_EQ(built[1]["layers"].size(), 3u);
  EXPECT_EQ(built[1]["layers"][0], built[0]["layers"][0]);

  oci::testing::TestRegistry registry(dir_, {"pusher", "pw-123", "", ""});
  ASSERT_TRUE(registry.ok());
  const nlohmann::json config = {
      {"auths",
       {{registry.host(), {{"auth", Base64Encode("pusher:pw-123", Base64Alphabet::kStandard)}}}}}};
  Spit(dir_ + "/docker/config.json", config.dump());
  ::chmod((dir_ + "/docker/config.json").c_str(), 0600);
  const std::vector<std::string> push = {"image",
                                         "push",
                                         "--layout",
                                         dir_ + "/layout",
                                         "--registry",
                                         registry.host() + "/skiff/server",
                                         "--docker-config",
                                         dir_ + "/docker/config.json",
                                         "--plain-http",
                                         "--output",
                                         "json"};
  const nlohmann::json first = Json(push);
  ASSERT_EQ(first.size(), 2u) << first;
  EXPECT_EQ(first[0]["uploaded"], 3);
  EXPECT_EQ(first[1]["uploaded"], 2);  // the model layer and its config
  EXPECT_EQ(first[1]["skipped"], 2);   // the base layers
  const std::string ref = first[1]["reference"];
  EXPECT_EQ(ref, registry.host() + "/skiff/server@" + built[1]["digest"].get<std::string>());
  const auto out = MustRun(
      {"skopeo", "inspect", "--tls-verify=false", "--creds", "pusher:pw-123", "docker://" + ref});
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(nlohmann::json::parse(out)["Digest"], built[1]["digest"]);
  EXPECT_EQ(nlohmann::json::parse(out)["Labels"]["io.skiff.model"], "mm:1");

  const nlohmann::json again = Json(push);
  for (const auto& image : again) {
    EXPECT_EQ(image["uploaded"], 0) << image;
    EXPECT_EQ(image["bytesUploaded"], 0) << image;
  }

  // Plain http to a registry that is not loopback: refused before anything is sent.
  Result refused = Skiff({"image", "push", "--layout", dir_ + "/layout", "--registry",
                          "registry.example.com/skiff/server", "--plain-http"});
  ExpectOneLineError(refused, "--plain-http");
}

}  // namespace
}  // namespace skiff::testing
