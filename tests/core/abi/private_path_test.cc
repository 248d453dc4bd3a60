// SPDX-License-Identifier: Apache-2.0
// Issue 16 item 5: the one ownership check. "Another user" is uid 65534
// (nobody): the tests run as root here and in CI, and root may chown to it.
#include "skiff/util/private_path.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace skiff {
namespace {

namespace fs = std::filesystem;
constexpr uid_t kOtherUid = 65534;

class PrivatePathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-private-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }
  // chown to another uid needs root; without it the test says so and skips.
  void ChownToOther(const std::string& path) {
    if (::geteuid() != 0) GTEST_SKIP() << "chown to uid 65534 needs root";
    ASSERT_EQ(::lchown(path.c_str(), kOtherUid, kOtherUid), 0) << path;
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    ::lstat(path.c_str(), &st);
    return st.st_mode & 07777;
  }
  std::string dir_;
};

TEST_F(PrivatePathTest, CreatesA0700DirectoryAndAcceptsItAgain) {
  const std::string d = dir_ + "/keys";
  ::umask(022);
  ASSERT_TRUE(EnsurePrivateDirectory(d).ok());
  EXPECT_EQ(Mode(d), 0700u);
  EXPECT_TRUE(EnsurePrivateDirectory(d).ok());
  EXPECT_TRUE(CheckPrivatePath(d).ok());
  EXPECT_EQ(CheckPrivatePath(dir_ + "/missing").code(), StatusCode::kNotFound);
}

TEST_F(PrivatePathTest, ADirectoryAnotherUserOwnsIsRefusedWithOwnerAndFix) {
  const std::string d = dir_ + "/keys";
  ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
  ChownToOther(d);
  const Status s = EnsurePrivateDirectory(d);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("'" + d + "'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("owned by uid 65534"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("chown"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << "one line";
  struct stat st {};
  ::stat(d.c_str(), &st);
  EXPECT_EQ(st.st_uid, kOtherUid) << "refused, not chown'ed";
}

TEST_F(PrivatePathTest, AGroupOrWorldWritableDirectoryIsRefusedNotChmodded) {
  const std::string d = dir_ + "/artifacts";
  ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
  for (mode_t mode : {0770, 0707, 0777}) {
    ASSERT_EQ(::chmod(d.c_str(), mode), 0);
    const Status s = EnsurePrivateDirectory(d);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << std::oct << mode;
    EXPECT_NE(s.message().find("lets group or others write it"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("chmod 700 " + d), std::string::npos) << s.message();
    EXPECT_EQ(Mode(d), mode) << "refused, not chmod'ed";
  }
  ASSERT_EQ(::chmod(d.c_str(), 0755), 0);
  EXPECT_TRUE(CheckPrivatePath(d).ok()) << "readable by others is fine: only writes are a risk";
}

TEST_F(PrivatePathTest, APlantedSymlinkIsRefusedAndItsTargetKeepsItsMode) {
  const std::string target = dir_ + "/elsewhere";
  ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
  const std::string link = dir_ + "/keys";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  const Status s = EnsurePrivateDirectory(link);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();
  EXPECT_EQ(Mode(target), 0755u);
  EXPECT_TRUE(fs::is_empty(target));
}

TEST_F(PrivatePathTest, TheWorkspaceRootMayBeTheUsersOwnLinkButNotAnotherUsers) {
  const std::string target = dir_ + "/real";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const std::string link = dir_ + "/ws";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_TRUE(EnsurePrivateDirectory(link, /*follow_own_symlink=*/true).ok());
  ChownToOther(link);
  const Status s = EnsurePrivateDirectory(link, /*follow_own_symlink=*/true);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("symbolic link owned by uid 65534"), std::string::npos) << s.message();
}

TEST_F(PrivatePathTest, OpenPrivateFileRefusesLinksOtherOwnersAndWritableFiles) {
  const std::string file = dir_ + "/svc.json";
  std::ofstream(file) << "{}";
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  auto fd = OpenPrivateFile(file, O_RDONLY);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  ::close(*fd);

  const std::string link = dir_ + "/link.json";
  ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
  auto via_link = OpenPrivateFile(link, O_RDONLY);
  EXPECT_EQ(via_link.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(via_link.status().message().find("symbolic link"), std::string::npos);

  ASSERT_EQ(::chmod(file.c_str(), 0666), 0);
  auto writable = OpenPrivateFile(file, O_RDONLY);
  EXPECT_EQ(writable.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(writable.status().message().find("chmod 600 " + file), std::string::npos)
      << writable.status().message();

  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  ChownToOther(file);
  auto foreign = OpenPrivateFile(file, O_RDONLY);
  EXPECT_EQ(foreign.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(foreign.status().message().find("owned by uid 65534"), std::string::npos);
  EXPECT_EQ(OpenPrivateFile(dir_ + "/none", O_RDONLY).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff
