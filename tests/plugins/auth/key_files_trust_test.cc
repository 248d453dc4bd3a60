// SPDX-License-Identifier: Apache-2.0
// Issue 16 item 5 in the auth plugin: a signing key or API key another user
// planted would let them mint tokens or call the service, so the keys
// directory and every key file must be the effective user's own and are never
// read through a symlink. "Another user" is uid 65534: the tests run as root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "auth_test_util.h"
#include "service_keys.h"
#include "signing_key_store.h"

namespace skiff::auth {
namespace {

using testing::TempDir;

TEST(AuthKeyFilesTrust, ASigningKeysDirOrKeyFileAnotherUserOwnsIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown to uid 65534 needs root";
  TempDir dir;
  SigningKeyStore::Options o;
  o.dir = dir.Sub("signing");
  auto store = SigningKeyStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string key_file = o.dir + "/" + (*store)->Snapshot()->active_kid + ".key.json";

  // A key file that is not the user's (as if planted): the store will not load.
  ASSERT_EQ(::chown(key_file.c_str(), 65534, 65534), 0);
  auto planted = SigningKeyStore::Open(o);
  ASSERT_EQ(planted.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(planted.status().message().find("'" + key_file + "': it is owned by uid 65534"),
            std::string::npos)
      << planted.status().message();
  ASSERT_EQ(::chown(key_file.c_str(), 0, 0), 0);

  // The directory itself another user's.
  ASSERT_EQ(::chown(o.dir.c_str(), 65534, 65534), 0);
  auto foreign = SigningKeyStore::Open(o);
  ASSERT_EQ(foreign.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(foreign.status().message().find("chown"), std::string::npos)
      << foreign.status().message();
}

}  // namespace
}  // namespace skiff::auth
