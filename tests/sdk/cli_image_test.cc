// SPDX-License-Identifier: Apache-2.0
// `skiff image build` and `skiff image push` through the real CLI (issue 18
// items 1-3): a registered model becomes its own layer on the server image,
// the push lands in a real docker-registry with htpasswd auth from a docker
// config.json, skopeo reads it back, and a second push uploads nothing.
#include <sys/stat.h>

#include <regex>

#include "cli_harness.h"
#include "oci_test_tools.h"
#include "pty_run.h"
#include "skiff/util/base64.h"
#include "test_registry.h"

namespace skiff::testing {
namespace {

using oci::testing::MustRun;

class CliImageTest : public CliFixture {
 protected:
  // Model mm:1 registered and `image build -m mm:1` into dir_/layout; the
  // build's JSON.
  nlohmann::json BuildLayout() {
    Spit(dir_ + "/model.bin", std::string(50000, 'm'));
    EXPECT_EQ(Skiff({"model", "register", "-p", dir_ + "/model.bin", "-n", "mm"}).rc, 0);
    // Only the auth plugin: the test stays small (the default is every
    // accelerator and auth plugin beside the server).
    fs::create_directories(dir_ + "/plugins");
    fs::copy_file(SKIFF_TEST_AUTH_PLUGIN,
                  dir_ + "/plugins/" + fs::path(SKIFF_TEST_AUTH_PLUGIN).filename().string());
    return Json({"image", "build", "-m", "mm:1", "--output-dir", dir_ + "/layout", "--plugin-dir",
                 dir_ + "/plugins", "--gzip-level", "1", "--output", "json"});
  }

  // dir_/docker/config.json (0600) with the push credentials for `registry`.
  void WriteDockerConfig(const oci::testing::TestRegistry& registry) {
    const nlohmann::json config = {
        {"auths",
         {{registry.host(),
           {{"auth", Base64Encode("pusher:pw-123", Base64Alphabet::kStandard)}}}}}};
    Spit(dir_ + "/docker/config.json", config.dump());
    ::chmod((dir_ + "/docker/config.json").c_str(), 0600);
  }

  // `image push` of dir_/layout to `repository` of `registry`.
  std::vector<std::string> PushArgs(const oci::testing::TestRegistry& registry,
                                    const std::string& repository, const std::string& output) {
    return {"image",
            "push",
            "--layout",
            dir_ + "/layout",
            "--registry",
            registry.host() + "/" + repository,
            "--docker-config",
            dir_ + "/docker/config.json",
            "--plain-http",
            "--output",
            output};
  }
};

TEST_F(CliImageTest, BuildThenPushThenPushAgain) {
  const nlohmann::json built = BuildLayout();
  ASSERT_EQ(built.size(), 2u) << built;
  EXPECT_EQ(built[0]["image"], "server");
  EXPECT_EQ(built[1]["image"], "mm-1");
  EXPECT_EQ(built[1]["model"], "mm:1");
  EXPECT_EQ(built[1]["layers"].size(), 3u);
  EXPECT_EQ(built[1]["layers"][0], built[0]["layers"][0]);

  oci::testing::TestRegistry registry(dir_, {"pusher", "pw-123", "", ""});
  ASSERT_TRUE(registry.ok());
  WriteDockerConfig(registry);
  const std::vector<std::string> push = PushArgs(registry, "skiff/server", "json");
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

// Issue 23 item 1 ("layers pushed"): `image push` shows each layer, by its
// short digest, with bytes sent of its size while it uploads, and one line
// per layer once the registry has it (pushed, or exists when the registry
// had it already): plain lines when piped, a redrawn line on a terminal.
TEST_F(CliImageTest, PushShowsEachLayerPipedAndOnATerminal) {
  const nlohmann::json built = BuildLayout();
  ASSERT_EQ(built.size(), 2u) << built;
  // Short digests: the server image's layers, and the model image's own.
  std::vector<std::string> server_layers;
  for (const auto& l : built[0]["layers"])
    server_layers.push_back(l["digest"].get<std::string>().substr(7, 12));
  const std::string model_layer =
      built[1]["layers"].back()["digest"].get<std::string>().substr(7, 12);

  oci::testing::TestRegistry registry(dir_, {"pusher", "pw-123", "", ""});
  ASSERT_TRUE(registry.ok());
  WriteDockerConfig(registry);
  const auto push = [&](const std::string& repository) {
    return PushArgs(registry, repository, "none");
  };

  const Result piped = Skiff(push("skiff/piped"));
  ASSERT_EQ(piped.rc, 0) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\x1b'), std::string::npos) << piped.err;
  const std::string bytes = "[0-9.]+ (B|KiB|MiB|GiB)";
  for (const std::string& layer : server_layers) {
    EXPECT_TRUE(std::regex_search(
        piped.err, std::regex("server layer " + layer + ": " + bytes + " / " + bytes + "\n")))
        << layer << " sending in\n"
        << piped.err;
    EXPECT_TRUE(
        std::regex_search(piped.err, std::regex("\n  server layer " + layer + ": pushed " + bytes)))
        << layer << " pushed in\n"
        << piped.err;
    // The model image shares the server's layers: the registry has them.
    EXPECT_NE(piped.err.find("\n  mm-1 layer " + layer + ": exists\n"), std::string::npos)
        << piped.err;
  }
  EXPECT_TRUE(std::regex_search(piped.err,
                                std::regex("\n  mm-1 layer " + model_layer + ": pushed " + bytes)))
      << piped.err;

  // Again: every layer exists, nothing is sent.
  const Result again = Skiff(push("skiff/piped"));
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(again.err.find(": pushed"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find(" / "), std::string::npos) << again.err;
  for (const std::string& layer : server_layers) {
    EXPECT_NE(again.err.find("  server layer " + layer + ": exists\n"), std::string::npos)
        << again.err;
  }
  EXPECT_NE(again.err.find("  mm-1 layer " + model_layer + ": exists\n"), std::string::npos)
      << again.err;

  // On a terminal (another repository: everything is sent again): the live
  // line is redrawn in place with the bytes, and each layer keeps a line.
  std::string command = Quote(SkiffBinary()) + " -w " + Quote(dir_ + "/ws");
  for (const std::string& a : push("skiff/tty")) command += " " + Quote(a);
  const PtyResult tty = RunInPty(command);
  ASSERT_EQ(tty.rc, 0) << tty.out;
  EXPECT_NE(tty.out.find("\r"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[K"), std::string::npos) << tty.out;
  for (const std::string& layer : server_layers) {
    EXPECT_TRUE(std::regex_search(
        tty.out, std::regex("server layer " + layer + ": " + bytes + " / " + bytes)))
        << layer << " sending in\n"
        << tty.out;
    EXPECT_TRUE(std::regex_search(
        tty.out, std::regex("\r\x1b\\[K  server layer " + layer + ": pushed " + bytes + "\r?\n")))
        << layer << " pushed in\n"
        << tty.out;
  }
}

}  // namespace
}  // namespace skiff::testing
