// SPDX-License-Identifier: Apache-2.0
// The push client against the real CNCF distribution registry
// (docker-registry) on loopback, checked with skopeo: basic auth from a
// docker config.json, TLS with a test CA, skipped blobs, a model image that
// uploads only its own layer, a cross-repository mount, a connection lost
// mid-upload, and the Bearer challenge. Issue 18 item 3.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "loopback_http_server.h"
#include "oci_test_tools.h"
#include "skiff/oci/image_builder.h"
#include "skiff/oci/registry_client.h"
#include "skiff/util/base64.h"
#include "temp_dir.h"
#include "test_pki.h"
#include "test_registry.h"

namespace skiff::oci {
namespace {

using nlohmann::json;
using test_support::LoopbackHttpServer;
using test_support::LoopbackRequest;
using test_support::LoopbackResponse;
using testing::CutProxy;
using testing::MustRun;
using testing::RegistryOptions;
using testing::TestRegistry;
using testing::TokenStandIn;

constexpr const char* kUser = "pusher";
constexpr const char* kPassword = "correct horse battery";

// Builds the base image and two model images (small inputs: fast).
struct Built {
  std::unique_ptr<OciLayout> layout;
  std::vector<BuiltImage> images;
};

Built BuildTestImages(const skiff::testing::TempDir& tmp) {
  std::ofstream(tmp / "a.pt") << std::string(300000, 'a');
  std::ofstream(tmp / "b.pt") << "model b";
  ImageBuildOptions o;
  o.skiff_server = SKIFF_TEST_SERVER_BINARY;
  o.plugins = {SKIFF_TEST_AUTH_PLUGIN};
  o.version = "test";
  o.layer.gzip_level = 1;
  Built b;
  auto layout = OciLayout::Create(tmp / "layout");
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  b.layout = std::make_unique<OciLayout>(*layout);
  auto images = BuildImages(o,
                            {{"a-1", "a:1", std::string(64, 'a'), tmp / "a.pt", false},
                             {"b-1", "b:1", std::string(64, 'b'), tmp / "b.pt", false}},
                            *b.layout);
  EXPECT_TRUE(images.ok()) << images.status().ToString();
  if (images.ok()) b.images = *images;
  return b;
}

// skopeo's view of repo@digest: its Digest field.
std::string SkopeoDigest(const std::string& host, const std::string& repo,
                         const std::string& digest, std::vector<std::string> flags) {
  std::vector<std::string> argv = {"skopeo", "inspect"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("docker://" + host + "/" + repo + "@" + digest);
  const std::string out = MustRun(argv);
  if (out.empty()) return "";
  return json::parse(out).value("Digest", "");
}

std::string WriteDockerConfig(const skiff::testing::TempDir& tmp, const std::string& host) {
  const json config = {{"auths",
                        {{host,
                          {{"auth", Base64Encode(std::string(kUser) + ":" + kPassword,
                                                 Base64Alphabet::kStandard)}}}}}};
  const std::string path = tmp / "docker-config.json";
  std::ofstream(path) << config.dump();
  ::chmod(path.c_str(), 0600);
  return path;
}

TEST(OciRegistryPushTest, BasicAuthPushIsSeenBySkopeoAndRepeatsUploadNothing) {
  skiff::testing::TempDir tmp;
  Built built = BuildTestImages(tmp);
  ASSERT_EQ(built.images.size(), 3u);
  TestRegistry registry(tmp.path(), RegistryOptions{kUser, kPassword, "", ""});
  ASSERT_TRUE(registry.ok());

  // Anonymous: refused with the fix named.
  {
    RegistryClient anonymous(registry.origin(), {}, {});
    auto r =
        anonymous.PushImage(*built.layout, built.images[0].manifest, "skiff/server", "base", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().ToString();
    EXPECT_NE(r.status().message().find("docker login"), std::string::npos);
  }

  // A wrong password: refused, naming where the credentials come from, never echoing them.
  {
    RegistryCredentials wrong{kUser, "wrong-password", "", {}, ""};
    RegistryClient refused(registry.origin(), {}, wrong);
    auto r = refused.PushImage(*built.layout, built.images[0].manifest, "skiff/server", "base", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().ToString();
    EXPECT_NE(r.status().message().find("docker config"), std::string::npos);
    EXPECT_EQ(r.status().message().find("wrong-password"), std::string::npos);
  }
  auto creds =
      CredentialsFromDockerConfig(WriteDockerConfig(tmp, registry.host()), registry.host(), true);
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->username, kUser);
  PushOptions options;
  options.chunk_bytes = 256 << 10;  // several PATCHes per layer

  RegistryClient first(registry.origin(), {}, *creds);
  auto digest =
      first.PushImage(*built.layout, built.images[0].manifest, "skiff/server", "base", options);
  ASSERT_TRUE(digest.ok()) << digest.status().ToString() << "\n" << registry.log();
  EXPECT_EQ(*digest, built.images[0].manifest.digest);
  EXPECT_EQ(first.stats().blobs_uploaded, 3);  // config + system + skiff layers
  EXPECT_EQ(SkopeoDigest(registry.host(), "skiff/server", *digest,
                         {"--tls-verify=false", "--creds", std::string(kUser) + ":" + kPassword}),
            *digest);

  // The same image again: every blob is there (HEAD), nothing is uploaded.
  RegistryClient again(registry.origin(), {}, *creds);
  ASSERT_TRUE(
      again.PushImage(*built.layout, built.images[0].manifest, "skiff/server", "base", options)
          .ok());
  EXPECT_EQ(again.stats().blobs_skipped, 3);
  EXPECT_EQ(again.stats().blobs_uploaded, 0);
  EXPECT_EQ(again.stats().bytes_uploaded, 0);

  // A model image: the shared base layers are skipped, only the model layer
  // and the image's config travel.
  for (int i : {1, 2}) {
    RegistryClient model(registry.origin(), {}, *creds);
    auto d = model.PushImage(*built.layout, built.images[i].manifest, "skiff/server",
                             built.images[i].ref_name, options);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(model.stats().blobs_skipped, 2) << built.images[i].ref_name;
    EXPECT_EQ(model.stats().blobs_uploaded, 2) << built.images[i].ref_name;
    EXPECT_EQ(model.stats().bytes_uploaded,
              built.images[i].layers[2].descriptor.size + built.images[i].config.size);
    EXPECT_EQ(SkopeoDigest(registry.host(), "skiff/server", *d,
                           {"--tls-verify=false", "--creds", std::string(kUser) + ":" + kPassword}),
              *d);
  }
}

TEST(OciRegistryPushTest, CrossRepositoryMountMovesNoBytes) {
  skiff::testing::TempDir tmp;
  Built built = BuildTestImages(tmp);
  ASSERT_EQ(built.images.size(), 3u);
  TestRegistry registry(tmp.path(), {});
  ASSERT_TRUE(registry.ok());
  RegistryClient first(registry.origin(), {}, {});
  ASSERT_TRUE(
      first.PushImage(*built.layout, built.images[1].manifest, "team-a/model", "v1", {}).ok());
  PushOptions options;
  options.mount_from = {"team-a/model"};
  RegistryClient second(registry.origin(), {}, {});
  auto d = second.PushImage(*built.layout, built.images[1].manifest, "team-b/model", "v1", options);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(second.stats().blobs_mounted, 4);
  EXPECT_EQ(second.stats().bytes_uploaded, 0);
  EXPECT_EQ(SkopeoDigest(registry.host(), "team-b/model", *d, {"--tls-verify=false"}), *d);
}

// Pushes the base image through a proxy that loses one connection, then
// reads the image back from the registry directly.
void PushThroughACut(CutProxy::Cut where, int* resumes, int* restarts) {
  skiff::testing::TempDir tmp;
  Built built = BuildTestImages(tmp);
  ASSERT_EQ(built.images.size(), 3u);
  TestRegistry registry(tmp.path(), {});
  ASSERT_TRUE(registry.ok());
  // The system layer is megabytes: the cut falls inside its upload.
  ASSERT_GT(built.images[0].layers[0].descriptor.size, 1 << 20);
  CutProxy proxy(registry.port(), 700 * 1024, where);
  PushOptions options;
  options.chunk_bytes = 256 << 10;
  RegistryClient client(proxy.origin(), {}, {});
  auto d =
      client.PushImage(*built.layout, built.images[0].manifest, "skiff/server", "base", options);
  ASSERT_TRUE(d.ok()) << d.status().ToString() << "\n" << registry.log();
  EXPECT_TRUE(proxy.cut());
  *resumes = client.stats().resumes;
  *restarts = client.stats().restarts;
  // The registry assembled exactly the layout's blobs.
  EXPECT_EQ(SkopeoDigest(registry.host(), "skiff/server", *d, {"--tls-verify=false"}), *d);
  MustRun({"skopeo", "copy", "--src-tls-verify=false",
           "docker://" + registry.host() + "/skiff/server@" + *d, "oci:" + tmp.Sub("copy") + ":x"});
  EXPECT_TRUE(std::filesystem::exists(
      tmp.Sub("copy/blobs/sha256/" + built.images[0].layers[0].descriptor.digest.substr(7))));
}

TEST(OciRegistryPushTest, AConnectionLostBeforeAPatchResumesFromTheRegistrysRange) {
  int resumes = 0, restarts = 0;
  PushThroughACut(CutProxy::Cut::kAtNextRequest, &resumes, &restarts);
  EXPECT_EQ(resumes, 1);
  EXPECT_EQ(restarts, 0);
}

// distribution refuses to go on with an upload that got part of a PATCH
// ("upload resumed at wrong offset"): the client starts that blob again.
// (When the status GET wins the race with the registry still writing the
// lost PATCH's part, one resume comes first, then the restart.)
TEST(OciRegistryPushTest, AConnectionLostMidPatchRestartsOnlyThatBlob) {
  int resumes = 0, restarts = 0;
  PushThroughACut(CutProxy::Cut::kMidRequest, &resumes, &restarts);
  EXPECT_EQ(restarts, 1);
  EXPECT_LE(resumes, 1);
}

TEST(OciRegistryPushTest, TlsWithATestCaAndBasicAuth) {
  skiff::testing::TempDir tmp;
  Built built = BuildTestImages(tmp);
  ASSERT_EQ(built.images.size(), 3u);
  const auto pki = compute_aks::testing::MakeTestPki();
  std::filesystem::create_directories(tmp / "certs");
  const std::string ca = compute_aks::testing::WritePemFile(tmp / "certs/ca.crt", pki.ca_cert_pem);
  const std::string cert =
      compute_aks::testing::WritePemFile(tmp / "server.crt", pki.server_cert_pem);
  const std::string key =
      compute_aks::testing::WritePemFile(tmp / "server.key", pki.server_key_pem);
  TestRegistry registry(tmp.path(), RegistryOptions{kUser, kPassword, cert, key});
  ASSERT_TRUE(registry.ok());
  ASSERT_EQ(registry.origin().rfind("https://", 0), 0u);

  auto creds =
      CredentialsFromDockerConfig(WriteDockerConfig(tmp, registry.host()), registry.host(), true);
  ASSERT_TRUE(creds.ok());
  // Without the CA: refused, naming the fix.
  {
    RegistryClient untrusted(registry.origin(), {}, *creds);
    auto r =
        untrusted.PushImage(*built.layout, built.images[0].manifest, "skiff/server", "base", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  }
  net::HttpClientOptions tls;
  tls.ca_file = ca;
  RegistryClient client(registry.origin(), tls, *creds);
  auto d = client.PushImage(*built.layout, built.images[1].manifest, "skiff/server", "a-1", {});
  ASSERT_TRUE(d.ok()) << d.status().ToString() << "\n" << registry.log();
  EXPECT_EQ(
      SkopeoDigest(registry.host(), "skiff/server", *d,
                   {"--cert-dir", tmp / "certs", "--creds", std::string(kUser) + ":" + kPassword}),
      *d);
}

TEST(OciRegistryPushTest, BearerChallengeTokenFromTheRealmWithBasicCredentials) {
  skiff::testing::TempDir tmp;
  Built built = BuildTestImages(tmp);
  ASSERT_EQ(built.images.size(), 3u);
  TestRegistry registry(tmp.path(), {});
  ASSERT_TRUE(registry.ok());
  TokenStandIn front(registry.origin(), {kUser, kPassword, "", ""});
  RegistryCredentials creds;
  creds.username = kUser;
  creds.password = kPassword;
  RegistryClient client(front.origin(), {}, creds);
  auto d = client.PushImage(*built.layout, built.images[2].manifest, "skiff/server", "b-1", {});
  ASSERT_TRUE(d.ok()) << d.status().ToString() << " stand-in: " << front.last_error();
  EXPECT_GE(front.count("token-get"), 1);
  EXPECT_GE(front.count("authorized"), 5);
  EXPECT_EQ(front.last_error(), "");
  EXPECT_EQ(SkopeoDigest(registry.host(), "skiff/server", *d, {"--tls-verify=false"}), *d);

  // Wrong password: the token service refuses, and the message says where to look.
  RegistryCredentials wrong = creds;
  wrong.password = "nope";
  RegistryClient refused(front.origin(), {}, wrong);
  auto r = refused.PushImage(*built.layout, built.images[2].manifest, "skiff/server", "b-1", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message().find("nope"), std::string::npos);  // no secret in messages
}

// A registry may send uploads elsewhere (its Location); the credentials it
// asked for stay with it.
TEST(OciRegistryPushTest, CredentialsGoOnlyToTheRegistry) {
  skiff::testing::TempDir tmp;
  std::ofstream(tmp / "m.pt") << "m";
  ImageBuildOptions o;
  o.skiff_server = SKIFF_TEST_SERVER_BINARY;
  o.tools = {};
  o.layer.gzip_level = 1;
  auto layout = OciLayout::Create(tmp / "layout");
  ASSERT_TRUE(layout.ok());
  auto images = BuildImages(o, {}, *layout);
  ASSERT_TRUE(images.ok()) << images.status().ToString();

  std::mutex mu;
  std::vector<std::string> elsewhere_auth;  // guarded by mu
  test_support::LoopbackOptions layers;
  layers.max_request_body_bytes = 64u << 20;  // the upload's PATCH carries a layer
  LoopbackHttpServer elsewhere(
      [&](const LoopbackRequest& r) {
        std::lock_guard<std::mutex> lock(mu);
        elsewhere_auth.push_back(r.header("authorization"));
        LoopbackResponse res;
        res.status = r.method == "PATCH" ? 202 : 201;
        return res;
      },
      layers);
  const std::string basic =
      "Basic " + Base64Encode(std::string(kUser) + ":" + kPassword, Base64Alphabet::kStandard);
  LoopbackHttpServer registry(
      [&](const LoopbackRequest& r) {
        LoopbackResponse res;
        if (r.header("authorization") != basic) {
          res.status = 401;
          res.headers.emplace_back("WWW-Authenticate", "Basic realm=\"r\"");
        } else if (r.method == "HEAD") {
          res.status = 404;
        } else if (r.method == "POST") {
          res.status = 202;
          res.headers.emplace_back("Location", elsewhere.url() + "/upload/1?_state=x");
        } else {
          res.status = 201;
        }
        return res;
      },
      layers);
  RegistryCredentials creds;
  creds.username = kUser;
  creds.password = kPassword;
  RegistryClient client(registry.url(), {}, creds);
  auto d = client.PushImage(*layout, (*images)[0].manifest, "skiff/server", "base", {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_FALSE(elsewhere_auth.empty());
  for (const auto& auth : elsewhere_auth) EXPECT_EQ(auth, "");
}

TEST(OciRegistryPushTest, ImageReferencesAreParsedAndBadOnesNamed) {
  auto ref = ParseImageReference("myacr.azurecr.io/skiff/server:0.1.0");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->registry, "myacr.azurecr.io");
  EXPECT_EQ(ref->repository, "skiff/server");
  EXPECT_EQ(ref->tag, "0.1.0");
  auto port = ParseImageReference("127.0.0.1:5000/repo");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->registry, "127.0.0.1:5000");
  EXPECT_EQ(port->tag, "");
  EXPECT_FALSE(ParseImageReference("just-a-name").ok());
  EXPECT_FALSE(ParseImageReference("host/Upper").ok());
}

TEST(OciRegistryAuthTest, ChallengesParseQuotedParameters) {
  auto c = ParseAuthChallenge(
      R"(Bearer realm="https://r.io/oauth2/token",service="r.io",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scheme, "Bearer");
  EXPECT_EQ(c->params["realm"], "https://r.io/oauth2/token");
  EXPECT_EQ(c->params["service"], "r.io");
  EXPECT_EQ(c->params["scope"], "repository:a/b:pull,push");
}

}  // namespace
}  // namespace skiff::oci
