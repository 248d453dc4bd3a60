// SPDX-License-Identifier: Apache-2.0
// Issue 16 item 5 at the SDK's keys file (<ws>/keys/<service>.json), whose
// digests deploy, update and get-keys hand to skiff-server: a key another
// user planted there would open the service to them. "Another user" is uid
// 65534: the tests run as root here and in CI.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "deployment.h"
#include "skiff/sdk/workspace.h"

namespace skiff::sdk {
namespace {

namespace fs = std::filesystem;

const std::string kPlanted =
    R"({"primaryKey":"planted-primary-0123456789abcdefghijkl","secondaryKey":"planted-secondary-0123456789abcdefghij"})";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KeysTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-keys-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    auto ws = Workspace::Open(dir_ + "/ws");
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::make_unique<Workspace>(std::move(ws).value());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(KeysTrust, APlantedSecondaryKeyInACoTenantsKeysDirIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown to uid 65534 needs root";
  const std::string keys = dir_ + "/ws/keys";
  ASSERT_EQ(::mkdir(keys.c_str(), 0700), 0);
  std::ofstream(keys + "/svc.json") << kPlanted;
  ASSERT_EQ(::chmod((keys + "/svc.json").c_str(), 0600), 0);
  ASSERT_EQ(::chown((keys + "/svc.json").c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chown(keys.c_str(), 65534, 65534), 0);

  auto read = internal::ReadKeys(*ws_, "svc");
  ASSERT_EQ(read.status().code(), StatusCode::kFailedPrecondition);
  const std::string m = read.status().message();
  EXPECT_NE(m.find("refusing '" + keys + "': it is owned by uid 65534"), std::string::npos) << m;
  EXPECT_NE(m.find("chown"), std::string::npos) << m;
  EXPECT_EQ(m.find("planted"), std::string::npos) << "no key in the message";
  // Writing fresh keys (deploy, update) is refused too, and the planted file stays as it was.
  EXPECT_EQ(internal::WriteKeys(*ws_, "svc", "fresh-primary-0123456789abcdefghijklmn",
                                "fresh-secondary-0123456789abcdefghijk")
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Slurp(keys + "/svc.json"), kPlanted);

  // The directory is the user's again, the file still another user's: refused.
  ASSERT_EQ(::chown(keys.c_str(), 0, 0), 0);
  auto file = internal::ReadKeys(*ws_, "svc");
  EXPECT_EQ(file.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(file.status().message().find("svc.json': it is owned by uid 65534"), std::string::npos)
      << file.status().message();
}

TEST_F(KeysTrust, APlantedKeysFileSymlinkIsRefusedAndNotWrittenThrough) {
  const std::string keys = dir_ + "/ws/keys";
  ASSERT_EQ(::mkdir(keys.c_str(), 0700), 0);
  const std::string elsewhere = dir_ + "/elsewhere.json";
  std::ofstream(elsewhere) << kPlanted;
  ASSERT_EQ(::chmod(elsewhere.c_str(), 0644), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), (keys + "/svc.json").c_str()), 0);

  auto read = internal::ReadKeys(*ws_, "svc");
  EXPECT_EQ(read.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(read.status().message().find("symbolic link"), std::string::npos)
      << read.status().message();
  // A write replaces the link itself: the file it pointed to keeps its bytes and mode.
  ASSERT_TRUE(internal::WriteKeys(*ws_, "svc", "fresh-primary-0123456789abcdefghijklmn",
                                  "fresh-secondary-0123456789abcdefghijk")
                  .ok());
  EXPECT_FALSE(fs::is_symlink(keys + "/svc.json"));
  EXPECT_EQ(Slurp(elsewhere), kPlanted);
  struct stat st {};
  ::stat(elsewhere.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  auto fresh = internal::ReadKeys(*ws_, "svc");
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(fresh->second, "fresh-secondary-0123456789abcdefghijk");

  // A planted keys/ symlink (to a directory the user may write) is refused.
  ASSERT_TRUE(fs::remove_all(keys));
  ASSERT_EQ(::mkdir((dir_ + "/other").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((dir_ + "/other").c_str(), keys.c_str()), 0);
  EXPECT_EQ(internal::WriteKeys(*ws_, "svc", "fresh-primary-0123456789abcdefghijklmn",
                                "fresh-secondary-0123456789abcdefghijk")
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::is_empty(dir_ + "/other"));
}

}  // namespace
}  // namespace skiff::sdk
