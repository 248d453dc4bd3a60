// SPDX-License-Identifier: Apache-2.0
// The verified-token cache (plugins/auth/token_cache.h): only accepted tokens
// enter, a hit rechecks time, every change that alters VerifyJwt's answer
// refuses a cached token exactly as an uncached authenticator does, the bound
// holds, and many threads may verify, rotate and configure at once.
#include "token_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "auth_test_util.h"
#include "jwt_signer.h"
#include "service_keys.h"

namespace skiff::auth {
namespace {

using testing::Header;
using testing::kT0;
using testing::MakeToken;
using testing::Payload;
using testing::TempDir;

ServiceAuthConfig TokenMode(const std::string& service) {
  ServiceAuthConfig c;
  c.service = service;
  c.mode = AuthMode::kToken;
  return c;
}

class AuthTokenCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth_ = Open(VerifiedTokenCache::kDefaultEntries);
    Configure(TokenMode("svc-a"));
    Configure(TokenMode("svc-b"));
  }

  // An authenticator over the same keys directory; with 0 entries it is the
  // uncached reference (it reads the keys as they are on disk now).
  std::unique_ptr<DefaultAuthenticator> Open(std::size_t cache_entries) {
    DefaultAuthenticator::Options o;
    o.workspace = "ws";
    o.keys_dir = dir_.Sub("signing");
    o.now = [this] { return now_.load(); };
    o.token_cache_entries = cache_entries;
    auto made = DefaultAuthenticator::Create(o);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? std::move(*made) : nullptr;
  }

  // Configures the cached authenticator and remembers it for the reference.
  void Configure(const ServiceAuthConfig& c) {
    ASSERT_TRUE(auth_->Configure(c).ok());
    configs_.erase(c.service);
    configs_.emplace(c.service, c);
  }
  void Unconfigure(const std::string& service) {
    auth_->Unconfigure(service);
    configs_.erase(service);
  }

  // What an authenticator that has never seen `token` answers now.
  Status Uncached(const std::string& token, const std::string& service) {
    auto fresh = Open(0);
    EXPECT_EQ(fresh->token_cache(), nullptr);
    for (const auto& [name, c] : configs_) EXPECT_TRUE(fresh->Configure(c).ok());
    return fresh->Verify(service, "Bearer " + token);
  }

  // The cached answer, checked to be the uncached one, status and message.
  Status Same(const std::string& token, const std::string& service = "svc-a") {
    const Status cached = auth_->Verify(service, "Bearer " + token);
    EXPECT_EQ(cached.ToString(), Uncached(token, service).ToString());
    return cached;
  }

  // Verifies `token` until the cache serves it: proves the next answer
  // would come from an entry, not from the whole check.
  void Warm(const std::string& token, const std::string& service = "svc-a") {
    ASSERT_TRUE(auth_->Verify(service, "Bearer " + token).ok());
    const uint64_t hits = Stats().hits;
    ASSERT_TRUE(auth_->Verify(service, "Bearer " + token).ok());
    ASSERT_EQ(Stats().hits, hits + 1) << "the second check was not a hit";
  }

  VerifiedTokenCache::Stats Stats() const { return auth_->token_cache()->GetStats(); }

  std::string Issue(const std::string& service = "svc-a", int64_t lifetime = 0) {
    auto c = auth_->Issue({service, lifetime});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->value : "";
  }

  std::shared_ptr<const SigningKey> ActiveKey() {
    auto keys = auth_->signing_keys().Snapshot();
    return keys->keys.at(keys->active_kid);
  }

  TempDir dir_;
  std::atomic<int64_t> now_{kT0};
  std::unique_ptr<DefaultAuthenticator> auth_;
  std::map<std::string, ServiceAuthConfig> configs_;
};

// An unauthenticated sender can never add an entry: every refusal leaves the
// cache as it was, and is refused again (with the same message) next time.
TEST_F(AuthTokenCacheTest, OnlyATokenThatPassedTheWholeCheckIsRemembered) {
  const auto key = ActiveKey();
  const std::string kid = auth_->signing_keys().Snapshot()->active_kid;
  const std::string good = Issue();
  std::string tampered = good;
  tampered[tampered.rfind('.') + 2] = tampered[tampered.rfind('.') + 2] == 'A' ? 'B' : 'A';
  const std::vector<std::string> refused = {
      "a.b.c",
      tampered,
      MakeToken(Header("none", kid), Payload("ws", "svc-a", kT0, kT0, kT0 + 3600), nullptr),
      MakeToken(Header("HS256", kid), Payload("ws", "svc-a", kT0 - 7200, kT0 - 7200, kT0 - 3600),
                key.get()),
      MakeToken(Header("HS256", kid), Payload("other-ws", "svc-a", kT0, kT0, kT0 + 3600),
                key.get()),
      Issue("svc-b"),  // another service's token
  };
  for (const std::string& t : refused) {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(Same(t).code(), StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(Stats().entries, 0u);
  EXPECT_EQ(Stats().hits, 0u);

  EXPECT_TRUE(Same(good).ok());
  EXPECT_EQ(Stats().entries, 1u);
  EXPECT_EQ(Stats().hits, 0u);
  EXPECT_TRUE(Same(good).ok());
  EXPECT_EQ(Stats().hits, 1u);
  // The same bytes for another service are still another service's check.
  EXPECT_EQ(Same(good, "svc-b").code(), StatusCode::kUnauthenticated);
}

// A hit still enforces exp and nbf against now, with the configured leeway,
// and an expired token leaves the cache.
TEST_F(AuthTokenCacheTest, AHitRechecksExpAndNbfAndDropsAnExpiredToken) {
  const std::string t = Issue();  // exp kT0 + 3600, leeway 60
  Warm(t);
  now_ = kT0 + 3600 + 60;
  uint64_t hits = Stats().hits;
  EXPECT_TRUE(Same(t).ok());
  EXPECT_EQ(Stats().hits, hits + 1) << "still valid at the leeway's edge, from the cache";
  now_ = kT0 + 3600 + 61;
  const Status st = Same(t);
  EXPECT_EQ(st.message(), "token refused: expired");
  EXPECT_EQ(Stats().entries, 0u) << "an expired token is dropped";
  EXPECT_EQ(Same(t).message(), "token refused: expired");

  now_ = kT0;
  const auto key = ActiveKey();
  const std::string kid = auth_->signing_keys().Snapshot()->active_kid;
  const int64_t nbf = kT0 + 1000;
  const std::string later =
      MakeToken(Header("HS256", kid), Payload("ws", "svc-a", kT0, nbf, nbf + 3600), key.get());
  now_ = nbf - 60;
  Warm(later);
  now_ = nbf - 61;  // a clock set back: the cached token is not yet valid again
  EXPECT_EQ(Same(later).message(), "token refused: not yet valid (nbf)");
  EXPECT_EQ(Stats().entries, 0u);
}

// Every path that changes what VerifyJwt answers — a rotation with and
// without a grace period, the grace's end, a removed key, Configure() to
// another mode or back, Unconfigure() — refuses (or accepts) a cached token
// exactly as an authenticator that never saw it.
TEST_F(AuthTokenCacheTest, ACachedTokenIsRefusedAfterEveryChangeExactlyAsAnUncachedOne) {
  // Rotation with a grace period: verifies until its end, not a second more.
  const std::string first = Issue();
  Warm(first);
  ASSERT_TRUE(auth_->RotateSigningKey(300).ok());
  EXPECT_TRUE(Same(first).ok());
  Warm(first);
  now_ = kT0 + 300;
  EXPECT_TRUE(Same(first).ok());
  now_ = kT0 + 301;
  EXPECT_NE(Same(first).message().find("was retired"), std::string::npos);

  // Rotation without grace: refused at once.
  const std::string second = Issue();
  Warm(second);
  ASSERT_TRUE(auth_->RotateSigningKey(0).ok());
  EXPECT_NE(Same(second).message().find("unknown kid"), std::string::npos);

  // Rotate, then Remove the older key.
  const std::string old_kid = auth_->signing_keys().Snapshot()->active_kid;
  const std::string third = Issue();
  Warm(third);
  ASSERT_TRUE(auth_->signing_keys().Rotate(JwsAlg::kES256).ok());
  EXPECT_TRUE(Same(third).ok());
  Warm(third);
  ASSERT_TRUE(auth_->signing_keys().Remove(old_kid).ok());
  EXPECT_NE(Same(third).message().find("unknown kid"), std::string::npos);

  // Configure(): key mode, back to token mode, none, and Unconfigure().
  const std::string fourth = Issue();
  Warm(fourth);
  auto keys = GenerateServiceKeys();
  ASSERT_TRUE(keys.ok());
  Configure(KeyModeConfig("svc-a", *keys));
  EXPECT_EQ(Same(fourth).message(), "key matches neither the primary nor the secondary key");
  Configure(TokenMode("svc-a"));
  EXPECT_TRUE(Same(fourth).ok());
  Warm(fourth);
  ServiceAuthConfig none;
  none.service = "svc-a";
  none.mode = AuthMode::kNone;
  Configure(none);
  EXPECT_TRUE(Same(fourth).ok());
  Configure(TokenMode("svc-a"));
  Warm(fourth);
  Unconfigure("svc-a");
  EXPECT_EQ(Same(fourth).message(), "service is not configured for auth");
  Configure(TokenMode("svc-a"));
  EXPECT_TRUE(Same(fourth).ok());

  // And time: the same token past its exp.
  Warm(fourth);
  now_ = kT0 + 301 + 3600 + 61;
  EXPECT_EQ(Same(fourth).message(), "token refused: expired");
}

// The bound holds however many valid tokens come, and a token that was
// evicted is verified again in full (and accepted).
TEST_F(AuthTokenCacheTest, StaysWithinItsBound) {
  EXPECT_EQ(Stats().capacity, VerifiedTokenCache::kDefaultEntries);
  auth_ = Open(8);
  Configure(TokenMode("svc-a"));
  std::vector<std::string> tokens;
  for (int i = 0; i < 64; ++i) tokens.push_back(Issue("svc-a", 600 + i));  // distinct exp
  for (int round = 0; round < 2; ++round) {
    for (const std::string& t : tokens) EXPECT_TRUE(auth_->Verify("svc-a", "Bearer " + t).ok());
  }
  EXPECT_EQ(Stats().capacity, 8u);
  EXPECT_LE(Stats().entries, 8u);
  EXPECT_GT(Stats().entries, 0u);
}

// In a full set the entry that expires first makes room; a re-entered token
// replaces its own entry.
TEST(AuthVerifiedTokenCache, AFullSetEvictsTheTokenThatExpiresFirst) {
  VerifiedTokenCache cache(VerifiedTokenCache::kWays);  // one set
  TokenCheckContext ctx;
  ctx.keys_generation = 1;
  ctx.policy_generation = 1;
  ctx.now = 100;
  auto digest = [](int i) { return Sha256("token " + std::to_string(i)); };
  auto entry = [](int64_t exp) {
    CachedToken t;
    t.keys_generation = 1;
    t.policy_generation = 1;
    t.expires_at = exp;
    return t;
  };
  const int64_t exps[] = {400, 200, 500, 300};
  for (int i = 0; i < 4; ++i) cache.Insert(digest(i), entry(exps[i]));
  cache.Insert(digest(0), entry(450));  // same token again: no second slot
  EXPECT_EQ(cache.GetStats().entries, 4u);
  cache.Insert(digest(4), entry(600));
  EXPECT_EQ(cache.GetStats().entries, 4u);
  EXPECT_FALSE(cache.Accepts(digest(1), ctx)) << "exp 200 was the first to go";
  for (int i : {0, 2, 3, 4}) EXPECT_TRUE(cache.Accepts(digest(i), ctx)) << i;

  // Each field of the context is checked; a mismatch drops the entry.
  TokenCheckContext other = ctx;
  other.keys_generation = 2;
  EXPECT_FALSE(cache.Accepts(digest(0), other));
  EXPECT_FALSE(cache.Accepts(digest(0), ctx)) << "dropped";
  other = ctx;
  other.policy_generation = 2;
  EXPECT_FALSE(cache.Accepts(digest(2), other));
  EXPECT_EQ(cache.GetStats().entries, 2u);
}

TEST(AuthVerifiedTokenCache, StillValidMirrorsVerifyJwtsTimeRules) {
  CachedToken t;
  t.keys_generation = t.policy_generation = 7;
  t.issued_at = 1000;
  t.not_before = 1000;
  t.expires_at = 2000;
  t.key_verify_until = 1500;
  TokenCheckContext c;
  c.keys_generation = c.policy_generation = 7;
  c.leeway_seconds = 60;
  for (int64_t now : {940, 1000, 1500}) {
    c.now = now;
    EXPECT_TRUE(StillValid(t, c)) << now;
  }
  c.now = 939;  // nbf - leeway - 1 (and iat in the future beyond leeway)
  EXPECT_FALSE(StillValid(t, c));
  c.now = 1501;  // the key's grace ended: no leeway applies
  EXPECT_FALSE(StillValid(t, c));
  t.key_verify_until = INT64_MAX;
  c.now = 2060;
  EXPECT_TRUE(StillValid(t, c));
  c.now = 2061;
  EXPECT_FALSE(StillValid(t, c));
  c.now = INT64_MAX - 10;  // no overflow on extreme clocks
  EXPECT_FALSE(StillValid(t, c));
}

// 8 threads at once: 5 verify every token issued so far, one issues a token,
// lets the cache serve it and revokes it (rotation, grace 0), one flips a
// service between token and key mode, one re-configures the first service
// as it was and reads the stats. A token is never accepted once its revocation has returned,
// nor while its service is in key mode; run under TSan too
// (./scripts/sanitize tsan -R AuthTokenCache).
TEST_F(AuthTokenCacheTest, EightThreadsVerifyRotateAndConfigureAtOnce) {
  std::mutex mu;
  std::vector<std::pair<int, std::string>> tokens;  // guarded by mu: (round, token for svc-a)
  std::string token_b = Issue("svc-b");             // guarded by mu
  std::atomic<int> revoked_upto{-1};                // tokens of rounds <= this are revoked
  std::atomic<uint64_t> b_seq{0};                   // odd: svc-b is in key mode
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0};
  std::atomic<uint64_t> accepted{0};

  std::vector<std::thread> threads;
  for (int v = 0; v < 5; ++v) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        std::vector<std::pair<int, std::string>> mine;
        std::string b;
        {
          std::lock_guard<std::mutex> lock(mu);
          mine = tokens;
          b = token_b;
        }
        for (const auto& [round, token] : mine) {
          const int revoked = revoked_upto.load();
          const bool ok = auth_->Verify("svc-a", "Bearer " + token).ok();
          if (ok && round <= revoked) ++violations;
          accepted += ok;
        }
        const uint64_t s1 = b_seq.load();
        const bool ok = auth_->Verify("svc-b", "Bearer " + b).ok();
        if (ok && s1 % 2 == 1 && b_seq.load() == s1) ++violations;
      }
    });
  }
  constexpr int kRounds = 12;
  threads.emplace_back([&] {  // issues, warms, revokes
    for (int round = 0; round < kRounds; ++round) {
      const std::string t = Issue();
      {
        std::lock_guard<std::mutex> lock(mu);
        tokens.emplace_back(round, t);
      }
      for (int i = 0; i < 3; ++i) EXPECT_TRUE(auth_->Verify("svc-a", "Bearer " + t).ok());
      if (!auth_->RotateSigningKey(0).ok()) {
        ADD_FAILURE() << "RotateSigningKey(0) failed";
        break;
      }
      revoked_upto.store(round);
    }
    stop.store(true);
  });
  threads.emplace_back([&] {  // svc-b: token mode, then key mode, and back
    auto keys = GenerateServiceKeys();
    ASSERT_TRUE(keys.ok());
    while (!stop.load()) {
      auto fresh = auth_->Issue({"svc-b", 0});
      if (fresh.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        token_b = fresh->value;
      }
      for (int i = 0; i < 3; ++i) (void)auth_->Verify("svc-b", "Bearer " + token_b);
      ASSERT_TRUE(auth_->Configure(KeyModeConfig("svc-b", *keys)).ok());
      b_seq.fetch_add(1);  // odd: key mode is in force
      for (int i = 0; i < 3; ++i) (void)auth_->Verify("svc-b", "Bearer " + token_b);
      b_seq.fetch_add(1);  // even: token mode may come back from here on
      ASSERT_TRUE(auth_->Configure(TokenMode("svc-b")).ok());
    }
  });
  threads.emplace_back([&] {  // re-configures svc-a as it was, and reads the stats
    while (!stop.load()) {
      ASSERT_TRUE(auth_->Configure(TokenMode("svc-a")).ok());
      (void)auth_->token_cache()->GetStats();
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(accepted.load(), 0u);
  EXPECT_GT(Stats().hits, 0u);
  // Every token so far is revoked; the next one verifies, from the cache too.
  for (const auto& [round, token] : tokens) EXPECT_FALSE(Same(token).ok());
  const std::string last = Issue();
  Warm(last);
}

}  // namespace
}  // namespace skiff::auth
