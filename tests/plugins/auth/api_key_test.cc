// SPDX-License-Identifier: Apache-2.0
#include "api_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "auth_test_util.h"
#include "service_keys.h"

namespace skiff::auth {
namespace {

using testing::TempDir;

class AuthKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DefaultAuthenticator::Options o;
    o.workspace = "ws";
    o.keys_dir = dir_.Sub("signing");
    auto made = DefaultAuthenticator::Create(o);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    auth_ = std::move(*made);
    auto a = GenerateServiceKeys();
    auto b = GenerateServiceKeys();
    ASSERT_TRUE(a.ok() && b.ok());
    keys_a_ = *a;
    keys_b_ = *b;
    ASSERT_TRUE(auth_->Configure(KeyModeConfig("svc-a", keys_a_)).ok());
    ASSERT_TRUE(auth_->Configure(KeyModeConfig("svc-b", keys_b_)).ok());
  }
  bool Accepts(const std::string& service, const std::string& key) {
    return auth_->Verify(service, "Bearer " + key).ok();
  }

  TempDir dir_;
  std::unique_ptr<DefaultAuthenticator> auth_;
  ServiceKeys keys_a_, keys_b_;
};

TEST_F(AuthKeyTest, GeneratedKeysAre256BitUrlSafeAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto key = auth_->GenerateKey();
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->size(), 43u);  // 32 bytes, base64url, no padding
    auto raw = Base64Decode(*key, Base64Alphabet::kUrl);
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(raw->size(), 32u);
    EXPECT_EQ(
        key->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_TRUE(seen.insert(*key).second);
  }
}

TEST_F(AuthKeyTest, PrimaryAndSecondaryBothValid) {
  EXPECT_TRUE(Accepts("svc-a", keys_a_.primary));
  EXPECT_TRUE(Accepts("svc-a", keys_a_.secondary));
  EXPECT_TRUE(auth_->Verify("svc-a", "bearer " + keys_a_.primary).ok());
  auto wrong = auth_->Verify("svc-a", "Bearer " + keys_b_.primary);
  EXPECT_EQ(wrong.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.message().find(keys_b_.primary), std::string::npos);
}

TEST_F(AuthKeyTest, AnotherServicesKeyIsRefused) {
  EXPECT_FALSE(Accepts("svc-a", keys_b_.primary));
  EXPECT_FALSE(Accepts("svc-a", keys_b_.secondary));
  EXPECT_FALSE(Accepts("svc-b", keys_a_.primary));
  EXPECT_TRUE(Accepts("svc-b", keys_b_.primary));
}

TEST_F(AuthKeyTest, MissingOrMalformedHeaderIsRefused) {
  EXPECT_EQ(auth_->Verify("svc-a", "").code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(auth_->Verify("svc-a", keys_a_.primary).ok());  // no scheme
  EXPECT_FALSE(auth_->Verify("svc-a", "Bearer  " + keys_a_.primary).ok());
  EXPECT_FALSE(auth_->Verify("svc-a", "Basic " + keys_a_.primary).ok());
  EXPECT_FALSE(auth_->Verify("unknown", "Bearer " + keys_a_.primary).ok());
  EXPECT_FALSE(auth_->Verify("svc-a", "Bearer " + std::string(1 << 20, 'A')).ok());
}

TEST_F(AuthKeyTest, RegeneratedKeyIsRefusedAtOnceOtherStillWorks) {
  const ServiceKeys before = keys_a_;
  ASSERT_TRUE(RegenerateKey(keys_a_, KeySlot::kPrimary).ok());
  EXPECT_NE(keys_a_.primary, before.primary);
  EXPECT_EQ(keys_a_.secondary, before.secondary);
  ASSERT_TRUE(auth_->Configure(KeyModeConfig("svc-a", keys_a_)).ok());
  EXPECT_FALSE(Accepts("svc-a", before.primary));
  EXPECT_TRUE(Accepts("svc-a", before.secondary));
  EXPECT_TRUE(Accepts("svc-a", keys_a_.primary));
}

TEST_F(AuthKeyTest, GivenKeyMustBeAtLeast32Chars) {
  EXPECT_FALSE(RegenerateKey(keys_a_, KeySlot::kSecondary, std::string(31, 'k')).ok());
  EXPECT_FALSE(RegenerateKey(keys_a_, KeySlot::kSecondary, std::string(31, 'k') + " ").ok());
  const std::string given(32, 'k');
  ASSERT_TRUE(RegenerateKey(keys_a_, KeySlot::kSecondary, given).ok());
  ASSERT_TRUE(auth_->Configure(KeyModeConfig("svc-a", keys_a_)).ok());
  EXPECT_TRUE(Accepts("svc-a", given));
  EXPECT_TRUE(Accepts("svc-a", keys_a_.primary));
}

TEST_F(AuthKeyTest, ConfigureRefusesInvalidConfigs) {
  ServiceAuthConfig c = KeyModeConfig("svc-c", keys_a_);
  c.mode = AuthMode::kToken;  // key and token exclusive: digests with token mode
  EXPECT_EQ(auth_->Configure(c).code(), StatusCode::kInvalidArgument);
  c.mode = AuthMode::kNone;
  EXPECT_FALSE(auth_->Configure(c).ok());
  c.mode = static_cast<AuthMode>(3);
  EXPECT_FALSE(auth_->Configure(c).ok());
  c = KeyModeConfig("svc-c", keys_a_);
  c.key_sha256_hex.clear();
  EXPECT_FALSE(auth_->Configure(c).ok());
  c = KeyModeConfig("svc-c", keys_a_);
  c.key_sha256_hex.push_back(c.key_sha256_hex[0]);
  EXPECT_FALSE(auth_->Configure(c).ok());  // three digests
  c = KeyModeConfig("svc-c", keys_a_);
  c.key_sha256_hex[0][0] = 'G';
  EXPECT_FALSE(auth_->Configure(c).ok());
  c = KeyModeConfig("Svc/../x", keys_a_);
  EXPECT_FALSE(auth_->Configure(c).ok());
  EXPECT_FALSE(AuthModeFromFlags(true, true).ok());
  EXPECT_EQ(*AuthModeFromFlags(true, false), AuthMode::kKey);
  EXPECT_EQ(*AuthModeFromFlags(false, true), AuthMode::kToken);
  EXPECT_EQ(*AuthModeFromFlags(false, false), AuthMode::kNone);
}

TEST_F(AuthKeyTest, NoneModeLetsEverythingThrough) {
  ServiceAuthConfig c;
  c.service = "open";
  c.mode = AuthMode::kNone;
  ASSERT_TRUE(auth_->Configure(c).ok());
  EXPECT_TRUE(auth_->Verify("open", "").ok());
  EXPECT_TRUE(auth_->Verify("open", "Bearer whatever").ok());
  // Switching a key service to none and back.
  c.service = "svc-a";
  ASSERT_TRUE(auth_->Configure(c).ok());
  EXPECT_TRUE(auth_->Verify("svc-a", "").ok());
  ASSERT_TRUE(auth_->Configure(KeyModeConfig("svc-a", keys_a_)).ok());
  EXPECT_FALSE(auth_->Verify("svc-a", "").ok());
  auth_->Unconfigure("svc-a");
  EXPECT_FALSE(Accepts("svc-a", keys_a_.primary));
}

TEST_F(AuthKeyTest, KeyModeRefusesTokensAndTokenModeRefusesKeys) {
  ServiceAuthConfig token;
  token.service = "svc-t";
  token.mode = AuthMode::kToken;
  ASSERT_TRUE(auth_->Configure(token).ok());
  EXPECT_FALSE(auth_->Issue({"svc-a", 0}).ok());  // key mode: no tokens
  auto cred = auth_->Issue({"svc-t", 0});
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  EXPECT_FALSE(auth_->Verify("svc-a", "Bearer " + cred->value).ok());
  EXPECT_TRUE(auth_->Verify("svc-t", "Bearer " + cred->value).ok());
  ServiceKeys keys_t = keys_a_;
  EXPECT_FALSE(Accepts("svc-t", keys_t.primary));
}

// Verify never sees a half-installed config: the untouched secondary key
// keeps working on every call while the primary is regenerated in a loop.
TEST_F(AuthKeyTest, ConfigureSwapsAtomicallyUnderConcurrentVerify) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        if (!Accepts("svc-a", keys_a_.secondary)) failures.fetch_add(1);
      }
    });
  }
  ServiceKeys keys = keys_a_;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(RegenerateKey(keys, KeySlot::kPrimary).ok());
    ASSERT_TRUE(auth_->Configure(KeyModeConfig("svc-a", keys)).ok());
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace skiff::auth
