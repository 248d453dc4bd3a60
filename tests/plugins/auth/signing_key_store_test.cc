// SPDX-License-Identifier: Apache-2.0
#include "signing_key_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "auth_test_util.h"
#include "signing_key.h"

namespace skiff::auth {
namespace {

using testing::kT0;
using testing::TempDir;

std::string HeaderOf(const std::string& token) {
  return *Base64Decode(token.substr(0, token.find('.')), Base64Alphabet::kUrl);
}
std::string SignatureOf(const std::string& token) {
  return *Base64Decode(token.substr(token.rfind('.') + 1), Base64Alphabet::kUrl);
}

class AuthSigningKeyTest : public ::testing::TestWithParam<JwsAlg> {};

TEST_P(AuthSigningKeyTest, RoundTripThroughAuthenticator) {
  TempDir dir;
  DefaultAuthenticator::Options o;
  o.workspace = "ws";
  o.keys_dir = dir.Sub("signing");
  o.algorithm = GetParam();
  o.now = [] { return kT0; };
  auto auth = DefaultAuthenticator::Create(o);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  ServiceAuthConfig c;
  c.service = "svc";
  c.mode = AuthMode::kToken;
  ASSERT_TRUE((*auth)->Configure(c).ok());
  auto cred = (*auth)->Issue({"svc", 0});
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  const std::string alg = JwsAlgName(GetParam());
  EXPECT_NE(HeaderOf(cred->value).find("\"alg\":\"" + alg + "\""), std::string::npos);
  const std::size_t sig_size = SignatureOf(cred->value).size();
  EXPECT_EQ(sig_size, GetParam() == JwsAlg::kHS256   ? 32u
                      : GetParam() == JwsAlg::kRS256 ? 256u
                                                     : 64u);
  EXPECT_TRUE((*auth)->Verify("svc", "Bearer " + cred->value).ok());

  // A second instance over the same directory (a restarted worker) accepts it.
  auto again = DefaultAuthenticator::Create(o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE((*again)->Configure(c).ok());
  EXPECT_TRUE((*again)->Verify("svc", "Bearer " + cred->value).ok());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AuthSigningKeyTest,
                         ::testing::Values(JwsAlg::kHS256, JwsAlg::kRS256, JwsAlg::kES256),
                         [](const auto& info) { return std::string(JwsAlgName(info.param)); });

TEST(AuthSigningKeyStoreTest, KeyFilesAre0600AndRotationPersists) {
  TempDir dir;
  SigningKeyStore::Options o;
  o.dir = dir.Sub("signing");
  auto store = SigningKeyStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string first = (*store)->Snapshot()->active_kid;
  auto second = (*store)->Rotate(JwsAlg::kES256);
  ASSERT_TRUE(second.ok());
  auto third = (*store)->Rotate(JwsAlg::kRS256);
  ASSERT_TRUE(third.ok());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(o.dir)) {
    struct stat st {};
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 4);  // three keys + active
  struct stat st {};
  ASSERT_EQ(::stat(o.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);

  auto reopened = SigningKeyStore::Open(o);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto set = (*reopened)->Snapshot();
  EXPECT_EQ(set->active_kid, *third);
  ASSERT_NE(set->Find(first), nullptr);
  EXPECT_EQ(set->Find(*second)->alg(), JwsAlg::kES256);
  EXPECT_EQ(set->Find(first)->alg(), JwsAlg::kHS256);
  ASSERT_TRUE((*reopened)->Remove(first).ok());
  EXPECT_EQ((*reopened)->Remove(first).code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(o.dir + "/" + first + ".key.json"));

  // A key file others can read is refused at load.
  ASSERT_EQ(::chmod((o.dir + "/" + *second + ".key.json").c_str(), 0640), 0);
  EXPECT_EQ(SigningKeyStore::Open(o).status().code(), StatusCode::kFailedPrecondition);
}

// Issue 16.10: a rotation revokes earlier tokens, at once or after a grace
// period in which the old key verifies but never signs; a restarted server
// (a new authenticator over the directory) keeps the deadline.
TEST(AuthSigningKeyStoreTest, RotateSigningKeyRevokesEarlierTokensAfterTheGracePeriod) {
  TempDir dir;
  int64_t now = kT0;
  DefaultAuthenticator::Options o;
  o.workspace = "ws";
  o.keys_dir = dir.Sub("signing");
  o.leeway_seconds = 60;  // must not stretch a revocation
  o.now = [&now] { return now; };
  ServiceAuthConfig c;
  c.service = "svc";
  c.mode = AuthMode::kToken;
  auto open = [&] {
    auto auth = DefaultAuthenticator::Create(o);
    EXPECT_TRUE(auth.ok()) << auth.status().ToString();
    EXPECT_TRUE((*auth)->Configure(c).ok());
    return std::move(auth).value();
  };
  auto auth = open();
  const std::string first = auth->Issue({"svc", 0})->value;

  // Grace 0: the earlier token is refused at once, a new one verifies.
  auto kid = auth->RotateSigningKey(0);
  ASSERT_TRUE(kid.ok()) << kid.status().ToString();
  EXPECT_EQ(auth->Verify("svc", "Bearer " + first).code(), StatusCode::kUnauthenticated);
  const std::string second = auth->Issue({"svc", 0})->value;
  EXPECT_NE(HeaderOf(second).find(*kid), std::string::npos);
  EXPECT_TRUE(auth->Verify("svc", "Bearer " + second).ok());
  EXPECT_EQ(open()->Verify("svc", "Bearer " + first).code(), StatusCode::kUnauthenticated);

  // Grace 300 s: `second` verifies until kT0 + 300, never after, also after a restart.
  ASSERT_TRUE(auth->RotateSigningKey(300).ok());
  const std::string third = auth->Issue({"svc", 0})->value;
  EXPECT_EQ(HeaderOf(third).find(*kid), std::string::npos) << "the retired key never signs";
  now = kT0 + 300;
  EXPECT_TRUE(auth->Verify("svc", "Bearer " + second).ok());
  EXPECT_TRUE(open()->Verify("svc", "Bearer " + second).ok());
  now = kT0 + 301;
  EXPECT_EQ(auth->Verify("svc", "Bearer " + second).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(open()->Verify("svc", "Bearer " + second).code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth->Verify("svc", "Bearer " + third).ok());

  // A later rotation never extends an earlier deadline, and prunes ended ones.
  ASSERT_TRUE(auth->RotateSigningKey(3600).ok());
  EXPECT_FALSE(std::filesystem::exists(o.keys_dir + "/" + *kid + ".key.json"));
  EXPECT_TRUE(auth->Verify("svc", "Bearer " + third).ok());
  EXPECT_EQ(auth->RotateSigningKey(-1).status().code(), StatusCode::kInvalidArgument);
}

// Issue 17 item 2: the auth plugin's options are read with the one typed
// reader: duplicates refused, a typo named with the closest option.
TEST(AuthSigningKeyStoreTest, OptionsRefuseDuplicatesAndNameTheClosestKey) {
  auto dup =
      DefaultAuthenticator::OptionsFromJson(R"({"workspace":"ws","keysDir":"/a","keysDir":"/b"})");
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("duplicate key \"keysDir\""), std::string::npos)
      << dup.status().message();
  auto typo = DefaultAuthenticator::OptionsFromJson(R"({"workspace":"ws","keysdir":"/a"})");
  EXPECT_NE(typo.status().message().find("unknown key `keysdir`; did you mean `keysDir`?"),
            std::string::npos)
      << typo.status().message();
}

TEST(AuthSigningKeyStoreTest, OptionsAreValidated) {
  EXPECT_FALSE(DefaultAuthenticator::OptionsFromJson("{").ok());
  EXPECT_FALSE(DefaultAuthenticator::OptionsFromJson(R"({"workspace":"ws","bogus":1})").ok());
  EXPECT_FALSE(DefaultAuthenticator::OptionsFromJson(R"({"algorithm":"none"})").ok());
  EXPECT_FALSE(DefaultAuthenticator::OptionsFromJson(R"({"leewaySeconds":"60"})").ok());
  auto o = DefaultAuthenticator::OptionsFromJson(
      R"({"workspace":"ws","keysDir":"/tmp/x","algorithm":"ES256","tokenLifetimeSeconds":600,"leewaySeconds":30})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->algorithm, JwsAlg::kES256);
  EXPECT_EQ(o->token_lifetime_seconds, 600);
  EXPECT_EQ(o->leeway_seconds, 30);
  DefaultAuthenticator::Options bad;
  bad.workspace = "ws";
  EXPECT_FALSE(DefaultAuthenticator::Create(bad).ok());  // no keysDir
  bad.keys_dir = "/tmp/x";
  bad.leeway_seconds = 301;
  EXPECT_FALSE(DefaultAuthenticator::Create(bad).ok());
}

}  // namespace
}  // namespace skiff::auth

namespace skiff::auth {
namespace {

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// HS256 signs with a context keyed once per key and copied per call
// (signing_key.cc): it must give HMAC-SHA256 exactly, for any input length,
// and the keys-file round trip must key it the same.
TEST(AuthHmacSigningKey, SignsAsRfc4231AndVerifiesOnlyItsOwnMac) {
  // RFC 4231, test case 2.
  auto jefe = SigningKey::FromHmacSecret("kid-jefe", "Jefe");
  auto mac = jefe->Sign("what do ya want for nothing?");
  ASSERT_TRUE(mac.ok()) << mac.status().ToString();
  EXPECT_EQ(Hex(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231, test case 1 (a 20-byte key of 0x0b).
  auto tc1 = SigningKey::FromHmacSecret("kid-tc1", std::string(20, '\x0b'));
  auto mac1 = tc1->Sign("Hi There");
  ASSERT_TRUE(mac1.ok());
  EXPECT_EQ(Hex(*mac1), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

  auto key = SigningKey::Generate(JwsAlg::kHS256, 0);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto file = (*key)->ToKeyFileJson();
  ASSERT_TRUE(file.ok());
  auto reloaded = SigningKey::FromKeyFileJson(*file);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  for (size_t n : {0u, 1u, 63u, 64u, 65u, 1000u}) {
    const std::string input(n, 'a');
    auto sig = (*key)->Sign(input);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE((*reloaded)->Verify(input, *sig)) << n;
    EXPECT_TRUE((*key)->Verify(input, *sig)) << n;
    std::string flipped = *sig;
    flipped[n % flipped.size()] ^= 1;
    EXPECT_FALSE((*key)->Verify(input, flipped)) << n;
    EXPECT_FALSE((*key)->Verify(input + "b", *sig)) << n;
    EXPECT_FALSE(jefe->Verify(input, *sig)) << n;  // another key's MAC
  }
}

// Every I/O thread verifies with the same keys at once.
TEST(AuthHmacSigningKey, VerifiesFromManyThreadsAtOnce) {
  auto key = SigningKey::Generate(JwsAlg::kHS256, 0);
  ASSERT_TRUE(key.ok());
  auto sig = (*key)->Sign("header.payload");
  ASSERT_TRUE(sig.ok());
  std::atomic<int> good{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        good += (*key)->Verify("header.payload", *sig) ? 1 : 0;
        bad += (*key)->Verify("header.payloaD", *sig) ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 8 * 500);
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace skiff::auth
