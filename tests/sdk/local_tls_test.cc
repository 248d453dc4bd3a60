// SPDX-License-Identifier: Apache-2.0
// Issue 19 item 1 through the real CLI on the local target: `computetarget
// create local --ssl-cert-file --ssl-key-file --ssl-cname` makes every
// service speak https; the scoring URI is https://CNAME:PORT/...; `service
// run` verifies the server with the system store plus SKIFF_CA_FILE, and
// without the CA it refuses, naming the fix. A test CA made in the test;
// traffic only to loopback.
#include <sys/stat.h>

#include "cli_harness.h"
#include "test_pki.h"

namespace {

using json = nlohmann::json;
using skiff::testing::Result;
using skiff::testing::Spit;

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";

class LocalTls : public skiff::testing::LocalWorkflowFixture {
 protected:
  void SetUp() override {
    LocalWorkflowFixture::SetUp();
    const auto pki =
        skiff::compute_aks::testing::MakeTestPki("local tls CA", "DNS:localhost,IP:127.0.0.1");
    Spit(Path("tls/cert.pem"), pki.server_cert_pem);
    Spit(Path("tls/key.pem"), pki.server_key_pem);
    ::chmod(Path("tls/key.pem").c_str(), 0600);
    Spit(Path("tls/ca.pem"), pki.ca_cert_pem);
    Spit(Path("dc.json"), "{}");
  }
};

TEST_F(LocalTls, ServicesOfATargetWithACertificateServeHttpsAndRunVerifiesThem) {
  Result created = Skiff({"computetarget", "create", "local", "-n", "secure", "--ssl-cert-file",
                          Path("tls/cert.pem"), "--ssl-key-file", Path("tls/key.pem"),
                          "--ssl-cname", "localhost"});
  ASSERT_EQ(created.rc, 0) << created.err;
  Result r = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "-ct", "secure", "-ic", ic_,
                    "-dc", Path("dc.json"), "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json shown = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(shown.is_object()) << r.out;
  EXPECT_EQ(shown["state"], "Healthy");
  const std::string uri = shown["scoringUri"];
  EXPECT_EQ(uri.rfind("https://localhost:", 0), 0u) << uri;
  const json server = json::parse(skiff::testing::Slurp(Path("ws/services/svc/server.json")));
  EXPECT_EQ(server["tls"]["certFile"], Path("tls/cert.pem"));

  // The system store does not know the test CA: refused, naming the fix.
  Result untrusted = Skiff({"service", "run", "-n", "svc", "-d", kScore});
  EXPECT_NE(untrusted.rc, 0);
  EXPECT_NE(untrusted.err.find("SKIFF_CA_FILE"), std::string::npos) << untrusted.err;
  // With the CA added, scored over https (the key travels encrypted).
  env_prefix_ = "SKIFF_CA_FILE=" + skiff::testing::Quote(Path("tls/ca.pem")) + " ";
  Result run = Skiff({"service", "run", "-n", "svc", "-d", kScore});
  ASSERT_EQ(run.rc, 0) << run.err;
  EXPECT_NE(run.out.find('['), std::string::npos) << run.out;
}

TEST_F(LocalTls, AKeyOthersMayReadOrAHalfPairIsRefusedAtCreate) {
  ::chmod(Path("tls/key.pem").c_str(), 0644);
  ExpectOneLineError(Skiff({"computetarget", "create", "local", "-n", "secure", "--ssl-cert-file",
                            Path("tls/cert.pem"), "--ssl-key-file", Path("tls/key.pem")}),
                     "chmod 600");
  ExpectOneLineError(Skiff({"computetarget", "create", "local", "-n", "half", "--ssl-cert-file",
                            Path("tls/cert.pem")}),
                     "--ssl-key-file");
}

}  // namespace
