// SPDX-License-Identifier: Apache-2.0
// Issue 19 item 4: the Azure identities users already have, in the order of
// the Azure SDKs' DefaultAzureCredential (arm/credentials.h), each against a
// loopback stand-in that enforces its protocol (FakeArm: Azure AD with
// client_assertion, IMDS, App Service's IDENTITY_ENDPOINT; a fake `az`
// script). The metadata address 169.254.169.254 is never contacted: every
// managed identity test points AZURE_POD_IDENTITY_AUTHORITY_HOST or
// IDENTITY_ENDPOINT at the loopback fake, and the chain uses managed
// identity only when SKIFF_AZURE_MANAGED_IDENTITY=1.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "aks_compute_target.h"
#include "arm/azure_cli_credential.h"
#include "arm/token_source.h"
#include "fake_arm.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;
using testing::FakeArm;
using testing::FakeClock;
namespace fs = std::filesystem;

void Spit(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path, std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

// A fake `az`: checks its arguments as AzureCliCredential passes them,
// counts its runs in $dir/az-runs, and prints what $dir/az-reply holds (or
// fails as a logged-out az does when that file is missing).
std::string FakeAzScript(const std::string& dir) {
  return "#!/bin/sh\n"
         "echo run >> '" +
         dir +
         "/az-runs'\n"
         "if [ \"$*\" != 'account get-access-token --resource https://management.azure.com/ "
         "--output json' ]; then\n"
         "  echo \"ERROR: unrecognized arguments: $*\" >&2; exit 2\n"
         "fi\n"
         "if [ ! -f '" +
         dir +
         "/az-reply' ]; then\n"
         "  echo \"ERROR: Please run 'az login' to setup account.\" >&2; exit 1\n"
         "fi\n"
         "cat '" +
         dir + "/az-reply'\n";
}

class ComputeAksIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-ident-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    fs::create_directories(dir_ + "/bin");
    fs::create_directories(dir_ + "/ws");
    arm_.AddCluster("sub1", "rg1", "prod1");
    // No credential of any kind unless a test adds it; PATH without az.
    env_ = {{"SKIFF_ARM_ENDPOINT", arm_.url()}, {"PATH", dir_ + "/empty-bin"}};
  }
  void TearDown() override { fs::remove_all(dir_); }

  EnvLookup Env() const {
    auto env = env_;
    return [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
  std::unique_ptr<AksComputeTarget> Target() {
    auto parsed = ParseAksConfig(json{{"configType", "attach"},
                                      {"resourceId",
                                       "/subscriptions/sub1/resourceGroups/rg1/providers/"
                                       "Microsoft.ContainerService/managedClusters/prod1"}}
                                     .dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    AksTargetOptions o;
    o.config = *parsed;
    o.clock = clock_;
    o.env = Env();
    o.retry.seed = 7;
    return AksComputeTarget::Create(std::move(o)).value();
  }
  Status Attach(const std::string& name = "att1") {
    return Target()->Attach(ComputeSpec{name, "aks", "{}", dir_ + "/ws"});
  }
  std::unique_ptr<TokenSource> Tokens() {
    auto credentials = AzureCredentials::FromEnv(Env());
    EXPECT_TRUE(credentials.ok()) << credentials.status().ToString();
    auto sender =
        std::make_shared<RetrySender>(MakeHttpClientTransport({}), clock_, RetryOptions{});
    return std::make_unique<TokenSource>(*credentials, sender);
  }
  // Requests the stand-ins got at `path_prefix`.
  std::vector<testing::Recorded> RequestsTo(const std::string& path_prefix) const {
    std::vector<testing::Recorded> out;
    for (auto& r : arm_.requests()) {
      if (r.target.rfind(path_prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }
  void InstallFakeAz(const std::string& reply) {
    Spit(dir_ + "/bin/az", FakeAzScript(dir_), 0755);
    if (!reply.empty()) Spit(dir_ + "/az-reply", reply);
    env_["PATH"] = dir_ + "/bin";
  }
  int AzRuns() const {
    std::ifstream in(dir_ + "/az-runs");
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
  static int64_t EpochIn(std::chrono::seconds s) {
    return std::chrono::duration_cast<std::chrono::seconds>(
               (std::chrono::system_clock::now() + s).time_since_epoch())
        .count();
  }

  FakeArm arm_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::map<std::string, std::string> env_;
  std::string dir_;
};

// --- the chain's order and its opt-in ------------------------------------

TEST_F(ComputeAksIdentityTest, NothingConfiguredNamesEveryCredentialAndContactsNothing) {
  Status s = Attach();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  for (const char* needle : {"AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE",
                             "SKIFF_AZURE_MANAGED_IDENTITY", "az login", "az is not on PATH"}) {
    EXPECT_NE(s.message().find(needle), std::string::npos) << needle << ": " << s.message();
  }
  EXPECT_TRUE(arm_.requests().empty());
  // An unset environment never reaches the metadata service: managed
  // identity is not chosen, so no endpoint is even set.
  auto c = AzureCredentials::FromEnv(Env());
  EXPECT_FALSE(c.ok());
}

TEST_F(ComputeAksIdentityTest, OrderIsEnvironmentThenWorkloadThenManagedThenCli) {
  Spit(dir_ + "/jwt", "jwt-1");
  InstallFakeAz("");
  env_["SKIFF_AZURE_MANAGED_IDENTITY"] = "1";
  env_["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = arm_.url();
  env_["AZURE_TENANT_ID"] = FakeArm::kTenant;
  env_["AZURE_CLIENT_ID"] = FakeArm::kClientId;
  env_["AZURE_FEDERATED_TOKEN_FILE"] = dir_ + "/jwt";
  env_["AZURE_CLIENT_SECRET"] = FakeArm::kClientSecret;
  EXPECT_EQ(AzureCredentials::FromEnv(Env())->kind, AzureCredentialKind::kServicePrincipal);
  env_.erase("AZURE_CLIENT_SECRET");
  auto wi = AzureCredentials::FromEnv(Env());
  EXPECT_EQ(wi->kind, AzureCredentialKind::kWorkloadIdentity);
  ASSERT_EQ(wi->skipped.size(), 2u);
  EXPECT_NE(wi->skipped[1].find("AZURE_CLIENT_SECRET not set"), std::string::npos);
  env_.erase("AZURE_FEDERATED_TOKEN_FILE");
  EXPECT_EQ(AzureCredentials::FromEnv(Env())->kind, AzureCredentialKind::kManagedIdentity);
  env_.erase("SKIFF_AZURE_MANAGED_IDENTITY");
  auto cli = AzureCredentials::FromEnv(Env());
  EXPECT_EQ(cli->kind, AzureCredentialKind::kAzureCli);
  EXPECT_EQ(cli->az_program, dir_ + "/bin/az");
  EXPECT_NE(cli->skipped.back().find("SKIFF_AZURE_MANAGED_IDENTITY is not 1"), std::string::npos);
}

TEST_F(ComputeAksIdentityTest, MetadataEndpointMustBeTheLinkLocalAddressOrLoopback) {
  env_["SKIFF_AZURE_MANAGED_IDENTITY"] = "1";
  auto imds = AzureCredentials::FromEnv(Env());
  ASSERT_TRUE(imds.ok()) << imds.status().ToString();
  EXPECT_EQ(imds->managed_identity_endpoint, "http://169.254.169.254");  // not contacted here
  env_["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://metadata.example.com";
  auto refused = AzureCredentials::FromEnv(Env());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("AZURE_POD_IDENTITY_AUTHORITY_HOST"),
            std::string::npos);
}

// --- workload identity ------------------------------------------------------

TEST_F(ComputeAksIdentityTest, WorkloadIdentitySendsTheFederatedTokenReadAgainEachTime) {
  Spit(dir_ + "/jwt", "jwt-1\n");
  arm_.SetFederatedAssertion("jwt-1");
  env_["AZURE_TENANT_ID"] = FakeArm::kTenant;
  env_["AZURE_CLIENT_ID"] = FakeArm::kClientId;
  env_["AZURE_FEDERATED_TOKEN_FILE"] = dir_ + "/jwt";
  env_["AZURE_AUTHORITY_HOST"] = arm_.url();
  Status s = Attach();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto posts = RequestsTo(std::string("/") + FakeArm::kTenant + "/oauth2/v2.0/token");
  ASSERT_EQ(posts.size(), 1u);
  auto form = test_support::ParseFormEncoded(posts[0].body);
  EXPECT_EQ(form["grant_type"], "client_credentials");
  EXPECT_EQ(form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(form["client_assertion"], "jwt-1");
  EXPECT_EQ(form["scope"], "https://management.azure.com/.default");
  EXPECT_EQ(form.count("client_secret"), 0u);

  // The kubelet rotates the projected token: the next fetch (after expiry)
  // sends the file's new content.
  auto tokens = Tokens();
  ASSERT_TRUE(tokens->Token().ok());
  EXPECT_TRUE(tokens->Token().ok());  // cached
  EXPECT_EQ(arm_.assertions_seen().size(), 2u);
  Spit(dir_ + "/jwt", "jwt-2");
  arm_.SetFederatedAssertion("jwt-2");
  clock_->Sleep(std::chrono::hours(1));
  ASSERT_TRUE(tokens->Token().ok());
  ASSERT_EQ(arm_.assertions_seen().size(), 3u);
  EXPECT_EQ(arm_.assertions_seen()[2], "jwt-2");
}

TEST_F(ComputeAksIdentityTest, WorkloadIdentityRefusedAssertionIsUnauthenticatedWithoutEchoingIt) {
  Spit(dir_ + "/jwt", "stale-jwt-value");
  arm_.SetFederatedAssertion("jwt-current");
  env_["AZURE_TENANT_ID"] = FakeArm::kTenant;
  env_["AZURE_CLIENT_ID"] = FakeArm::kClientId;
  env_["AZURE_FEDERATED_TOKEN_FILE"] = dir_ + "/jwt";
  env_["AZURE_AUTHORITY_HOST"] = arm_.url();
  Status s = Attach();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("AADSTS700213"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("workload identity"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("stale-jwt-value"), std::string::npos);
  EXPECT_EQ(arm_.Count("GET", "/subscriptions/"), 0);

  fs::remove(dir_ + "/jwt");
  Status missing = Attach();
  EXPECT_EQ(missing.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(missing.message().find("AZURE_FEDERATED_TOKEN_FILE"), std::string::npos);
}

// --- managed identity -------------------------------------------------------

TEST_F(ComputeAksIdentityTest, ManagedIdentityAsksImdsWithItsHeaderAndRetriesAsAzureSays) {
  env_["SKIFF_AZURE_MANAGED_IDENTITY"] = "1";
  env_["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = arm_.url();
  // IMDS answers 404 while the identity is being assigned, 410 while it is
  // updated, 429 when throttled, 5xx when broken: each is retried.
  for (int status : {404, 410, 429, 503}) {
    arm_.AddFault({"GET /metadata/identity/oauth2/token", status, {}, 1});
  }
  Status s = Attach();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto gets = RequestsTo("/metadata/identity/oauth2/token");
  ASSERT_EQ(gets.size(), 5u);
  EXPECT_EQ(gets.back().header("metadata"), "true");
  EXPECT_NE(gets.back().target.find("api-version=2018-02-01"), std::string::npos);
  EXPECT_NE(gets.back().target.find("resource=https%3A%2F%2Fmanagement.azure.com%2F"),
            std::string::npos)
      << gets.back().target;
  EXPECT_EQ(gets.back().target.find("client_id="), std::string::npos) << "system-assigned";
  using std::chrono::milliseconds;
  const std::vector<milliseconds> backoff = {milliseconds(800), milliseconds(1600),
                                             milliseconds(3200), milliseconds(6400)};
  std::vector<milliseconds> slept = clock_->sleeps();
  slept.resize(std::min(slept.size(), backoff.size()));
  EXPECT_EQ(slept, backoff) << "exponential backoff from 0.8 s";
  EXPECT_EQ(arm_.Count("GET", "/managedClusters/prod1?"), 1) << "the token is good for ARM";

  // The stand-in enforces the protocol: without `Metadata: true` it refuses.
  auto raw = MakeHttpClientTransport({})->Send(
      HttpRequest{"GET",
                  arm_.url() + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
                      "https%3A%2F%2Fmanagement.azure.com%2F",
                  {},
                  ""});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->status, 400);
  EXPECT_NE(raw->body.find("metadata header"), std::string::npos);
}

TEST_F(ComputeAksIdentityTest, ManagedIdentityKeepsRetrying410ForSeventySecondsThenGivesUp) {
  env_["SKIFF_AZURE_MANAGED_IDENTITY"] = "1";
  env_["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = arm_.url();
  arm_.AddFault({"GET /metadata/identity/oauth2/token", 410, {}, 7});
  auto tokens = Tokens();
  auto token = tokens->Token();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  std::chrono::milliseconds total{0};
  for (auto d : clock_->sleeps()) total += d;
  EXPECT_GE(total, std::chrono::seconds(70)) << "past 5 retries while IMDS says 410";

  // Any other retried status stops after 5 retries, naming the status.
  arm_.AddFault({"GET /metadata/identity/oauth2/token", 500, {}, 100});
  tokens->Invalidate();
  auto failed = tokens->Token();
  EXPECT_EQ(failed.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(failed.status().message().find("HTTP 500"), std::string::npos);
  EXPECT_NE(failed.status().message().find("after 6 attempts"), std::string::npos)
      << failed.status().message();
}

TEST_F(ComputeAksIdentityTest, UserAssignedIdentityIsNamedByClientIdAndAWrongOneIsRefused) {
  env_["SKIFF_AZURE_MANAGED_IDENTITY"] = "1";
  env_["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = arm_.url();
  env_["AZURE_CLIENT_ID"] = FakeArm::kUserAssignedClientId;
  ASSERT_TRUE(Tokens()->Token().ok());
  EXPECT_NE(RequestsTo("/metadata/")
                .back()
                .target.find(std::string("client_id=") + FakeArm::kUserAssignedClientId),
            std::string::npos);
  env_["AZURE_CLIENT_ID"] = "not-assigned";
  auto refused = Tokens()->Token();
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("Identity not found"), std::string::npos);
  EXPECT_NE(refused.status().message().find("AZURE_CLIENT_ID"), std::string::npos);
}

TEST_F(ComputeAksIdentityTest, AppServiceIdentityEndpointSendsItsHeader) {
  env_["SKIFF_AZURE_MANAGED_IDENTITY"] = "1";
  env_["IDENTITY_ENDPOINT"] = arm_.url() + "/msi/token";
  env_["IDENTITY_HEADER"] = FakeArm::kIdentityHeader;
  Status s = Attach();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto gets = RequestsTo("/msi/token");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_NE(gets[0].target.find("api-version=2019-08-01"), std::string::npos);
  EXPECT_EQ(RequestsTo("/metadata/").size(), 0u);

  env_["IDENTITY_HEADER"] = "wrong";
  auto refused = Tokens()->Token();
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("HTTP 401"), std::string::npos);
}

// --- Azure CLI ----------------------------------------------------------------

TEST_F(ComputeAksIdentityTest, AzureCliTokenIsUsedAndCachedUntilItExpires) {
  InstallFakeAz(json{
      {"accessToken", FakeArm::kFixedToken},
      {"expiresOn", "2030-01-01 00:00:00.000000"},
      {"expires_on", EpochIn(std::chrono::hours(1))},
      {"subscription", "sub1"},
      {"tenant", FakeArm::kTenant},
      {"tokenType",
       "Bearer"}}.dump());
  Status s = Attach();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(AzRuns(), 1);
  EXPECT_EQ(arm_.token_requests(), 0) << "no Azure AD request of skiff's own";

  auto tokens = Tokens();
  ASSERT_EQ(tokens->Token().value(), FakeArm::kFixedToken);
  ASSERT_TRUE(tokens->Token().ok());
  EXPECT_EQ(AzRuns(), 2) << "cached within its lifetime";
  clock_->Sleep(std::chrono::minutes(56));  // within 5 minutes of expiry
  ASSERT_TRUE(tokens->Token().ok());
  EXPECT_EQ(AzRuns(), 3);
}

TEST_F(ComputeAksIdentityTest, AzureCliNotLoggedInSaysSoWithoutRetryingForever) {
  InstallFakeAz("");  // no reply file: "Please run 'az login'"
  Status s = Attach();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("az login"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("exit 1"), std::string::npos) << s.message();
  EXPECT_EQ(AzRuns(), 1);
}

TEST_F(ComputeAksIdentityTest, AzureCliOlderExpiresOnIsLocalTime) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t in_an_hour = std::chrono::system_clock::to_time_t(now + std::chrono::hours(1));
  char local[64];
  std::strftime(local, sizeof local, "%Y-%m-%d %H:%M:%S.000000", std::localtime(&in_an_hour));
  auto token = ParseAzureCliToken(json{{"accessToken", "t"}, {"expiresOn", local}}.dump(), now);
  ASSERT_TRUE(token.ok());
  EXPECT_LE(std::chrono::abs(token->expires_at - (now + std::chrono::hours(1))),
            std::chrono::seconds(2));
  EXPECT_EQ(ParseAzureCliToken("{}", now).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace skiff::compute_aks
