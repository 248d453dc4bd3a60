// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically: contents and mode land, the old file survives every
// failure, no temp file is left behind, and a write past RLIMIT_FSIZE (a
// full disk, as far as the writer can tell) is a clear error.
#include "skiff/util/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace skiff {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-atomic-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }
  size_t Entries() const {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  std::string dir_;
};

TEST_F(AtomicFileTest, WritesContentsWithTheModeAndLeavesNoTemp) {
  const std::string path = dir_ + "/keys.json";
  ::umask(0);
  ASSERT_TRUE(WriteFileAtomically(path, "first", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second", 0600).ok());
  ::umask(022);
  EXPECT_EQ(Slurp(path), "second");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/public.json", "x", 0644).ok());
  ASSERT_EQ(::stat((dir_ + "/public.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(Entries(), 2u) << "no temp file left";
}

TEST_F(AtomicFileTest, MissingDirectoryIsAnErrorNamingThePath) {
  Status s = WriteFileAtomically(dir_ + "/nope/file", "x", 0600);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find(dir_ + "/nope/file"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No such file"), std::string::npos) << s.message();
}

TEST_F(AtomicFileTest, FullDiskKeepsTheOldFileAndRemovesTheTemp) {
  const std::string path = dir_ + "/state.json";
  ASSERT_TRUE(WriteFileAtomically(path, "old state", 0600).ok());
  // In a child: a file-size limit makes write(2) fail with EFBIG, as a full
  // disk fails with ENOSPC (SIGXFSZ ignored so the call returns the error).
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {
      1024, 1024
    };
    ::setrlimit(RLIMIT_FSIZE, &limit);
    Status s = WriteFileAtomically(path, std::string(64 * 1024, 'x'), 0600);
    const bool clear = !s.ok() && s.message().find(path) != std::string::npos &&
                       s.message().find("too large") != std::string::npos;
    ::_exit(clear ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the write failed with a message naming the file";
  EXPECT_EQ(Slurp(path), "old state");
  EXPECT_EQ(Entries(), 1u) << "the temp file was removed";
}

TEST_F(AtomicFileTest, ConcurrentWritersNeverLeaveAMixedFile) {
  const std::string path = dir_ + "/shared";
  const std::string a(100000, 'a'), b(100000, 'b');
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE(WriteFileAtomically(path, t % 2 ? a : b, 0600).ok());
    });
  }
  for (int i = 0; i < 200; ++i) {
    const std::string seen = Slurp(path);
    if (!seen.empty()) {
      EXPECT_TRUE(seen == a || seen == b) << "torn read of " << seen.size();
    }
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(Entries(), 1u);
}

}  // namespace
}  // namespace skiff
