// SPDX-License-Identifier: Apache-2.0
// Issue 16 item 8: the digest skiff-server checks before every load.
#include "skiff/util/artifact_digest.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "skiff/util/sha256.h"

namespace skiff {
namespace {

namespace fs = std::filesystem;

class ArtifactDigestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-digest-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& bytes) {
    fs::create_directories(fs::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel, std::ios::binary) << bytes;
  }
  std::string dir_;
};

TEST_F(ArtifactDigestTest, AFileIsTheSha256OfItsBytes) {
  Write("model.bin", "weights");
  auto digest = ArtifactDigest(dir_ + "/model.bin");
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, Sha256Hex("weights"));
  EXPECT_TRUE(VerifyArtifactDigest(dir_ + "/model.bin", Sha256Hex("weights")).ok());
}

TEST_F(ArtifactDigestTest, AFolderIsTheSha256OfItsSortedManifest) {
  Write("m/config.json", "{}");
  Write("m/sub/weights.bin", "w");
  auto digest = ArtifactDigest(dir_ + "/m");
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  // The manifest bytes the store records (core/src/store/manifest.cc).
  const std::string manifest = "{\"config.json\":\"" + Sha256Hex("{}") +
                               "\",\"sub/weights.bin\":\"" + Sha256Hex("w") + "\"}";
  EXPECT_EQ(*digest, Sha256Hex(manifest));
}

TEST_F(ArtifactDigestTest, ATamperedFileOrFolderIsDataLossNamingBothDigests) {
  Write("model.bin", "weights");
  const std::string expected = Sha256Hex("weights");
  Write("model.bin", "weightz");
  const Status s = VerifyArtifactDigest(dir_ + "/model.bin", expected);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("hashes to sha256:" + Sha256Hex("weightz")), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("but sha256:" + expected + " was recorded"), std::string::npos);

  Write("m/a", "1");
  auto folder = ArtifactDigest(dir_ + "/m");
  ASSERT_TRUE(folder.ok());
  Write("m/extra", "planted");
  EXPECT_EQ(VerifyArtifactDigest(dir_ + "/m", *folder).code(), StatusCode::kDataLoss);
}

TEST_F(ArtifactDigestTest, SymlinksAreRefusedNotFollowed) {
  Write("model.bin", "weights");
  ASSERT_EQ(::symlink((dir_ + "/model.bin").c_str(), (dir_ + "/link.bin").c_str()), 0);
  auto link = ArtifactDigest(dir_ + "/link.bin");
  EXPECT_EQ(link.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(link.status().message().find("symbolic link"), std::string::npos);

  Write("m/a", "1");
  ASSERT_EQ(::symlink((dir_ + "/model.bin").c_str(), (dir_ + "/m/b").c_str()), 0);
  auto inside = ArtifactDigest(dir_ + "/m");
  EXPECT_EQ(inside.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(inside.status().message().find(dir_ + "/m/b"), std::string::npos)
      << inside.status().message();
}

}  // namespace
}  // namespace skiff
