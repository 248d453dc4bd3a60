// SPDX-License-Identifier: Apache-2.0
// One test per attack class on token mode.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth_test_util.h"
#include "jwt_signer.h"

namespace skiff::auth {
namespace {

using testing::Header;
using testing::kT0;
using testing::MakeToken;
using testing::Payload;
using testing::TempDir;

class AuthTokenAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DefaultAuthenticator::Options o;
    o.workspace = "ws";
    o.keys_dir = dir_.Sub("signing");
    o.now = [this] { return now_; };
    auto made = DefaultAuthenticator::Create(o);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    auth_ = std::move(*made);
    for (const char* s : {"svc-a", "svc-b"}) {
      ServiceAuthConfig c;
      c.service = s;
      c.mode = AuthMode::kToken;
      ASSERT_TRUE(auth_->Configure(c).ok());
    }
    auto keys = auth_->signing_keys().Snapshot();
    hs_kid_ = keys->active_kid;
    hs_key_ = keys->keys.at(hs_kid_);
  }

  Status Check(const std::string& token, const std::string& service = "svc-a") {
    Status st = auth_->Verify(service, "Bearer " + token);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
      EXPECT_EQ(st.message().find(token), std::string::npos) << "reason quotes the token";
    }
    return st;
  }
  std::string Good(const SigningKey& key, int64_t iat = kT0, int64_t nbf = kT0,
                   int64_t exp = kT0 + 3600, const std::string& aud = "svc-a",
                   const std::string& iss = "ws") {
    auto t = SignJwt(key, {iss, aud, iat, nbf, exp});
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : "";
  }
  std::string AddRsKey() {
    auto kid = auth_->signing_keys().Rotate(JwsAlg::kRS256);
    EXPECT_TRUE(kid.ok());
    return *kid;
  }

  TempDir dir_;
  int64_t now_ = kT0;
  std::unique_ptr<DefaultAuthenticator> auth_;
  std::string hs_kid_;
  std::shared_ptr<const SigningKey> hs_key_;
};

TEST_F(AuthTokenAttackTest, IssuedTokenVerifiesAndCarriesClaims) {
  auto cred = auth_->Issue({"svc-a", 0});
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  EXPECT_EQ(cred->type, "Bearer");
  EXPECT_EQ(cred->issued_at, kT0);
  EXPECT_EQ(cred->expires_on, kT0 + 3600);
  EXPECT_EQ(cred->refresh_by, kT0 + 2700);
  EXPECT_TRUE(Check(cred->value).ok());
  const std::string payload =
      *Base64Decode(cred->value.substr(cred->value.find('.') + 1,
                                       cred->value.rfind('.') - cred->value.find('.') - 1),
                    Base64Alphabet::kUrl);
  EXPECT_EQ(nlohmann::json::parse(payload),
            nlohmann::json::parse(Payload("ws", "svc-a", kT0, kT0, kT0 + 3600)));
  EXPECT_FALSE(auth_->Issue({"svc-a", 86401}).ok());
  EXPECT_EQ(auth_->Issue({"svc-a", 600})->expires_on, kT0 + 600);
}

TEST_F(AuthTokenAttackTest, AlgNoneIsRefused) {
  const std::string p = Payload("ws", "svc-a", kT0, kT0, kT0 + 3600);
  for (const char* alg : {"none", "None", "NONE"}) {
    EXPECT_FALSE(Check(MakeToken(Header(alg, hs_kid_), p, nullptr)).ok()) << alg;
    EXPECT_FALSE(Check(MakeToken(Header(alg, hs_kid_), p, nullptr).substr(0) + "").ok());
  }
  // Without kid too.
  EXPECT_FALSE(Check(MakeToken(R"({"alg":"none"})", p, nullptr)).ok());
}

TEST_F(AuthTokenAttackTest, HmacWithRsaPublicKeyPemIsRefused) {
  const std::string rs_kid = AddRsKey();
  const auto rs_key = auth_->signing_keys().Snapshot()->keys.at(rs_kid);
  auto pem = rs_key->PublicKeyPem();
  ASSERT_TRUE(pem.ok());
  const auto confused = SigningKey::FromHmacSecret(rs_kid, *pem);
  const std::string p = Payload("ws", "svc-a", kT0, kT0, kT0 + 3600);
  Status st = Check(MakeToken(Header("HS256", rs_kid), p, confused.get()));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("differs"), std::string::npos) << st.message();
  // Same, claiming RS256: the HMAC bytes are no RSA signature.
  EXPECT_FALSE(Check(MakeToken(Header("RS256", rs_kid), p, confused.get())).ok());
  // The RS key itself still works.
  EXPECT_TRUE(Check(Good(*rs_key)).ok());
}

TEST_F(AuthTokenAttackTest, NullAndEmptySignaturesAreRefused) {
  const std::string good = Good(*hs_key_);
  const std::string unsigned_part = good.substr(0, good.rfind('.'));
  EXPECT_FALSE(Check(unsigned_part + ".").ok());
  EXPECT_FALSE(Check(unsigned_part).ok());
  EXPECT_FALSE(
      Check(unsigned_part + "." + Base64Encode(std::string(32, '\0'), Base64Alphabet::kUrl)).ok());
  EXPECT_FALSE(
      Check(unsigned_part + "." + Base64Encode(std::string(1, '\0'), Base64Alphabet::kUrl)).ok());
  // ES256 with r = s = 0 ("psychic signature").
  auto es_kid = auth_->signing_keys().Rotate(JwsAlg::kES256);
  ASSERT_TRUE(es_kid.ok());
  const std::string p = Payload("ws", "svc-a", kT0, kT0, kT0 + 3600);
  EXPECT_FALSE(Check(MakeToken(Header("ES256", *es_kid), p, nullptr, std::string(64, '\0'))).ok());
  EXPECT_FALSE(Check(MakeToken(Header("ES256", *es_kid), p, nullptr, "")).ok());
}

TEST_F(AuthTokenAttackTest, TamperedPayloadIsRefused) {
  const std::string good = Good(*hs_key_);
  const auto d1 = good.find('.');
  const auto d2 = good.rfind('.');
  const std::string forged_payload =
      Base64Encode(Payload("ws", "svc-a", kT0, kT0, kT0 + 999999), Base64Alphabet::kUrl);
  EXPECT_FALSE(Check(good.substr(0, d1 + 1) + forged_payload + good.substr(d2)).ok());
  std::string flipped = good;
  flipped[d1 + 3] = flipped[d1 + 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Check(flipped).ok());
  std::string sig_flipped = good;
  sig_flipped[d2 + 2] = sig_flipped[d2 + 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Check(sig_flipped).ok());
}

TEST_F(AuthTokenAttackTest, ExpiredAndLeewayBoundaryOnExp) {
  const std::string t = Good(*hs_key_, kT0, kT0, kT0 + 3600);
  now_ = kT0 + 3600 + 60;
  EXPECT_TRUE(Check(t).ok());
  now_ = kT0 + 3600 + 61;
  Status st = Check(t);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("expired"), std::string::npos);
  now_ = kT0 + 100000;
  EXPECT_FALSE(Check(t).ok());
}

TEST_F(AuthTokenAttackTest, NotYetValidAndLeewayBoundaryOnNbf) {
  const int64_t nbf = kT0 + 1000;
  const std::string t = Good(*hs_key_, kT0, nbf, nbf + 3600);
  now_ = nbf - 60;
  EXPECT_TRUE(Check(t).ok());
  now_ = nbf - 61;
  Status st = Check(t);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nbf"), std::string::npos);
  // iat in the future beyond leeway.
  now_ = kT0;
  EXPECT_FALSE(Check(Good(*hs_key_, kT0 + 61, kT0, kT0 + 3600)).ok());
  EXPECT_TRUE(Check(Good(*hs_key_, kT0 + 60, kT0, kT0 + 3600)).ok());
}

TEST_F(AuthTokenAttackTest, MissingOrNonIntegerTimeClaimsAreRefused) {
  const std::string h = Header("HS256", hs_kid_);
  EXPECT_FALSE(Check(MakeToken(h, R"({"iss":"ws","aud":"svc-a","iat":1700000000,"nbf":1700000000})",
                               hs_key_.get()))
                   .ok());
  EXPECT_FALSE(Check(MakeToken(h,
                               R"({"iss":"ws","aud":"svc-a","iat":1700000000,)"
                               R"("nbf":1700000000,"exp":"1800000000"})",
                               hs_key_.get()))
                   .ok());
  EXPECT_FALSE(Check(MakeToken(h,
                               R"({"iss":"ws","aud":"svc-a","iat":1700000000,)"
                               R"("nbf":1700000000,"exp":1.8e9})",
                               hs_key_.get()))
                   .ok());
  EXPECT_FALSE(Check(MakeToken(h,
                               R"({"iss":"ws","aud":"svc-a","iat":1700000000,)"
                               R"("nbf":1700000000,"exp":18446744073709551615})",
                               hs_key_.get()))
                   .ok());
}

TEST_F(AuthTokenAttackTest, AnotherServicesTokenIsRefused) {
  auto for_b = auth_->Issue({"svc-b", 0});
  ASSERT_TRUE(for_b.ok());
  EXPECT_TRUE(Check(for_b->value, "svc-b").ok());
  Status st = Check(for_b->value, "svc-a");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("aud"), std::string::npos);
  // aud as an array holding the service is not accepted either.
  const std::string arr = R"({"iss":"ws","aud":["svc-a"],"iat":1700000000,"nbf":1700000000,)"
                          R"("exp":1700003600})";
  EXPECT_FALSE(Check(MakeToken(Header("HS256", hs_kid_), arr, hs_key_.get())).ok());
}

TEST_F(AuthTokenAttackTest, WrongIssuerIsRefused) {
  EXPECT_FALSE(Check(Good(*hs_key_, kT0, kT0, kT0 + 3600, "svc-a", "other-ws")).ok());
  EXPECT_FALSE(Check(MakeToken(Header("HS256", hs_kid_),
                               R"({"aud":"svc-a","iat":1700000000,"nbf":1700000000,)"
                               R"("exp":1700003600})",
                               hs_key_.get()))
                   .ok());
}

TEST_F(AuthTokenAttackTest, KidNamingAnotherKeyIsRefused) {
  const std::string rs_kid = AddRsKey();
  const std::string p = Payload("ws", "svc-a", kT0, kT0, kT0 + 3600);
  // HS-signed, kid of the RS key, alg HS256 or RS256: both refused.
  EXPECT_FALSE(Check(MakeToken(Header("HS256", rs_kid), p, hs_key_.get())).ok());
  EXPECT_FALSE(Check(MakeToken(Header("RS256", rs_kid), p, hs_key_.get())).ok());
  // Unknown and missing kid.
  EXPECT_FALSE(Check(MakeToken(Header("HS256", "nosuchkid"), p, hs_key_.get())).ok());
  EXPECT_FALSE(Check(MakeToken(R"({"alg":"HS256","typ":"JWT"})", p, hs_key_.get())).ok());
  EXPECT_FALSE(Check(MakeToken(Header("HS256", "../../etc/passwd"), p, hs_key_.get())).ok());
  // An attacker's own HMAC key under our kid.
  const auto attacker = SigningKey::FromHmacSecret(hs_kid_, std::string(32, 'x'));
  EXPECT_FALSE(Check(MakeToken(Header("HS256", hs_kid_), p, attacker.get())).ok());
}

TEST_F(AuthTokenAttackTest, EmbeddedKeyHeadersAreIgnored) {
  const std::string p = Payload("ws", "svc-a", kT0, kT0, kT0 + 3600);
  const std::string secret = std::string(32, 'x');
  const auto attacker = SigningKey::FromHmacSecret("evil", secret);
  const std::string jwk = R"(,"jwk":{"kty":"oct","kid":"evil","k":")" +
                          Base64Encode(secret, Base64Alphabet::kUrl) +
                          R"("},"jku":"https://evil.example/jwks",)"
                          R"("x5u":"https://evil.example/cert","x5c":["MIIB"])";
  EXPECT_FALSE(Check(MakeToken(Header("HS256", "evil", jwk), p, attacker.get())).ok());
  EXPECT_FALSE(Check(MakeToken(Header("HS256", hs_kid_, jwk), p, attacker.get())).ok());
  // Our own key with the same headers: they change nothing.
  EXPECT_TRUE(Check(MakeToken(Header("HS256", hs_kid_, jwk), p, hs_key_.get())).ok());
  // crit is refused outright.
  EXPECT_FALSE(
      Check(MakeToken(Header("HS256", hs_kid_, R"(,"crit":["exp"])"), p, hs_key_.get())).ok());
}

TEST_F(AuthTokenAttackTest, DuplicateJsonKeysAreRefused) {
  const std::string p = Payload("ws", "svc-a", kT0, kT0, kT0 + 3600);
  EXPECT_FALSE(Check(MakeToken(R"({"alg":"none","alg":"HS256","kid":")" + hs_kid_ + R"("})", p,
                               hs_key_.get()))
                   .ok());
  EXPECT_FALSE(
      Check(MakeToken(R"({"alg":"HS256","kid":"x","kid":")" + hs_kid_ + R"("})", p, hs_key_.get()))
          .ok());
  const std::string dup = R"({"iss":"ws","aud":"svc-b","iat":1700000000,"nbf":1700000000,)"
                          R"("exp":1700003600,"aud":"svc-a"})";
  Status st = Check(MakeToken(Header("HS256", hs_kid_), dup, hs_key_.get()));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("duplicate"), std::string::npos) << st.message();
}

TEST_F(AuthTokenAttackTest, OversizedAndMalformedTokensAreRefused) {
  const std::string p = Payload("ws", "svc-a", kT0, kT0, kT0 + 3600);
  const std::string huge_header =
      Header("HS256", hs_kid_, R"(,"pad":")" + std::string(1 << 20, 'a') + "\"");
  Status st = Check(MakeToken(huge_header, p, hs_key_.get()));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("longer"), std::string::npos) << st.message();
  const std::string just_over =
      Header("HS256", hs_kid_, R"(,"pad":")" + std::string(6200, 'a') + "\"");
  EXPECT_FALSE(Check(MakeToken(just_over, p, hs_key_.get())).ok());

  const std::string good = Good(*hs_key_);
  EXPECT_FALSE(Check(good + ".").ok());
  EXPECT_FALSE(Check("a.b").ok());
  EXPECT_FALSE(Check("..").ok());
  EXPECT_FALSE(Check("%%%." + good.substr(good.find('.') + 1)).ok());
  EXPECT_FALSE(
      Check(Base64Encode("not json", Base64Alphabet::kUrl) + good.substr(good.find('.'))).ok());
  EXPECT_FALSE(Check(MakeToken(Header("HS256", hs_kid_), "[1,2]", hs_key_.get())).ok());
  EXPECT_FALSE(Check(MakeToken(Header("HS256", hs_kid_), "{\"iss\":", hs_key_.get())).ok());
  // Padding and the standard alphabet are not base64url.
  EXPECT_FALSE(Check(good.substr(0, good.find('.')) + "=" + good.substr(good.find('.'))).ok());
}

TEST_F(AuthTokenAttackTest, RotationKeepsOldKidValidUntilRemoved) {
  auto old_token = auth_->Issue({"svc-a", 0});
  ASSERT_TRUE(old_token.ok());
  auto new_kid = auth_->signing_keys().Rotate(JwsAlg::kHS256);
  ASSERT_TRUE(new_kid.ok());
  EXPECT_NE(*new_kid, hs_kid_);
  auto new_token = auth_->Issue({"svc-a", 0});
  ASSERT_TRUE(new_token.ok());
  EXPECT_NE(new_token->value.substr(0, new_token->value.find('.')),
            old_token->value.substr(0, old_token->value.find('.')));
  EXPECT_TRUE(Check(old_token->value).ok());
  EXPECT_TRUE(Check(new_token->value).ok());
  EXPECT_EQ(auth_->signing_keys().Remove(*new_kid).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(auth_->signing_keys().Remove(hs_kid_).ok());
  EXPECT_FALSE(Check(old_token->value).ok());
  EXPECT_TRUE(Check(new_token->value).ok());
}

}  // namespace
}  // namespace skiff::auth
