// SPDX-License-Identifier: Apache-2.0
// Pushing to Azure Container Registry with the service principal ARM uses
// (issue 18 item 3): compute-aks's TokenSource gets an Azure AD token by
// client credentials (FakeArm), the push client exchanges it at the
// registry's /oauth2/exchange for a refresh token and buys an access token at
// /oauth2/token; the stand-in checks every form field and relays authorized
// requests to a real docker-registry, which skopeo then reads directly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "transport/clock.h"
#include "fake_arm.h"
#include "transport/http_transport.h"
#include "oci_test_tools.h"
#include "transport/retry_sender.h"
#include "skiff/oci/image_builder.h"
#include "skiff/oci/registry_client.h"
#include "temp_dir.h"
#include "test_registry.h"
#include "arm/token_source.h"

namespace skiff::compute_aks {
namespace {

using oci::testing::MustRun;
using oci::testing::TestRegistry;
using oci::testing::TokenStandIn;
using testing::FakeArm;

struct Fixture {
  skiff::testing::TempDir tmp;
  FakeArm arm;
  std::unique_ptr<TokenSource> tokens;
  std::unique_ptr<oci::OciLayout> layout;
  std::vector<oci::BuiltImage> images;

  Fixture() {
    AzureCredentials c;
    c.tenant_id = FakeArm::kTenant;
    c.client_id = FakeArm::kClientId;
    c.client_secret = FakeArm::kClientSecret;
    c.authority_host = arm.url();
    tokens = std::make_unique<TokenSource>(
        c, std::make_shared<RetrySender>(MakeHttpClientTransport({}), RealClock(), RetryOptions{}));
    auto created = oci::OciLayout::Create(tmp / "layout");
    EXPECT_TRUE(created.ok());
    layout = std::make_unique<oci::OciLayout>(*created);
    oci::ImageBuildOptions o;
    o.skiff_server = SKIFF_TEST_SERVER_BINARY;
    o.tools = {};
    o.version = "test";
    o.layer.gzip_level = 1;
    auto built = oci::BuildImages(o, {}, *layout);
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    if (built.ok()) images = *built;
  }

  oci::RegistryCredentials Credentials(const std::string& tenant) {
    oci::RegistryCredentials creds;
    creds.tenant = tenant;
    creds.aad_access_token = [this] { return tokens->Token(); };
    return creds;
  }
};

TEST(ComputeAksAcrPushTest, ServicePrincipalTokenIsExchangedAndThePushLands) {
  Fixture f;
  ASSERT_EQ(f.images.size(), 1u);
  TestRegistry registry(f.tmp.path(), {});
  ASSERT_TRUE(registry.ok());
  // The token FakeArm issues first is "issued-1".
  TokenStandIn acr(registry.origin(), {"", "", "issued-1", FakeArm::kTenant});
  oci::RegistryClient client(acr.origin(), {}, f.Credentials(FakeArm::kTenant));
  auto d = client.PushImage(*f.layout, f.images[0].manifest, "skiff/server", "0.1.0", {});
  ASSERT_TRUE(d.ok()) << d.status().ToString() << " stand-in: " << acr.last_error();
  EXPECT_EQ(acr.last_error(), "");
  EXPECT_EQ(acr.count("exchange"), 1);  // one refresh token for the whole push
  EXPECT_GE(acr.count("token-post"), 1);
  EXPECT_EQ(acr.count("token-get"), 0);
  EXPECT_EQ(f.arm.token_requests(), 1);
  const auto out = MustRun({"skopeo", "inspect", "--tls-verify=false",
                            "docker://" + registry.host() + "/skiff/server@" + *d});
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(nlohmann::json::parse(out)["Digest"], *d);
}

TEST(ComputeAksAcrPushTest, ARefusedExchangeNamesTheRoleAndNoToken) {
  Fixture f;
  ASSERT_EQ(f.images.size(), 1u);
  TestRegistry registry(f.tmp.path(), {});
  ASSERT_TRUE(registry.ok());
  TokenStandIn acr(registry.origin(), {"", "", "issued-1", FakeArm::kTenant});
  oci::RegistryClient client(acr.origin(), {}, f.Credentials("another-tenant"));
  auto d = client.PushImage(*f.layout, f.images[0].manifest, "skiff/server", "0.1.0", {});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kUnauthenticated) << d.status().ToString();
  EXPECT_NE(d.status().message().find("AcrPush"), std::string::npos);
  EXPECT_EQ(d.status().message().find("issued-1"), std::string::npos);
  EXPECT_NE(acr.last_error().find("tenant"), std::string::npos);
}

}  // namespace
}  // namespace skiff::compute_aks
