// SPDX-License-Identifier: Apache-2.0
// Issue 16 items 5, 6 and 8 at the store: the workspace is trusted only when
// it is the user's own, nothing is read or written through a planted
// symlink, a tampered row cannot steer a download, and the digest the store
// records is the one skiff-server recomputes. "Another user" is uid 65534:
// the tests run as root here and in CI.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "skiff/store/workspace_store.h"
#include "skiff/util/artifact_digest.h"
#include "skiff/util/sha256.h"
#include "test_util.h"

namespace skiff::store {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

mode_t Mode(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_mode & 07777;
}

ModelRecord Register(WorkspaceStore& store, const std::string& name, const std::string& path) {
  auto record = store.RegisterModel({name, path, "", {}, {}});
  EXPECT_TRUE(record.ok()) << record.status().ToString();
  return record.ok() ? *record : ModelRecord{};
}

void Sql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(StoreTrust, OpenCreatesTheWorkspacePrivate) {
  TempDir dir;
  ::umask(022);
  ASSERT_TRUE(WorkspaceStore::Open(dir / "ws").ok());
  for (const char* sub : {"", "/artifacts", "/artifacts/sha256", "/artifacts/materialized"}) {
    EXPECT_EQ(Mode(dir / ("ws" + std::string(sub))), 0700u) << sub;
  }
  EXPECT_EQ(Mode(dir / "ws/workspace.db"), 0600u);
}

TEST(StoreTrust, AWorkspaceAnotherUserOwnsIsRefusedAndLeftAlone) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown to uid 65534 needs root";
  TempDir dir;
  const std::string ws = dir / "ws";
  ASSERT_EQ(::mkdir(ws.c_str(), 0755), 0);
  ASSERT_EQ(::chown(ws.c_str(), 65534, 65534), 0);
  auto opened = WorkspaceStore::Open(ws);
  ASSERT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  const std::string m = opened.status().message();
  EXPECT_NE(m.find("'" + ws + "'"), std::string::npos) << m;
  EXPECT_NE(m.find("owned by uid 65534"), std::string::npos) << m;
  EXPECT_NE(m.find("--workspace"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(ws + "/workspace.db"));
  EXPECT_FALSE(fs::exists(ws + "/artifacts"));
}

TEST(StoreTrust, AGroupWritableArtifactsFolderOrAForeignStoreIsRefused) {
  TempDir dir;
  const std::string ws = dir / "ws";
  ASSERT_TRUE(WorkspaceStore::Open(ws).ok());
  ASSERT_EQ(::chmod((ws + "/artifacts/sha256").c_str(), 0777), 0);
  auto opened = WorkspaceStore::Open(ws);
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find("chmod 700 " + ws + "/artifacts/sha256"),
            std::string::npos)
      << opened.status().message();
  EXPECT_EQ(Mode(ws + "/artifacts/sha256"), 0777u) << "refused, not chmod'ed";
  ASSERT_EQ(::chmod((ws + "/artifacts/sha256").c_str(), 0700), 0);

  if (::geteuid() != 0) return;  // the owner half needs root
  ASSERT_EQ(::chown((ws + "/workspace.db").c_str(), 65534, 65534), 0);
  opened = WorkspaceStore::Open(ws);
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find("owned by uid 65534"), std::string::npos)
      << opened.status().message();
}

TEST(StoreTrust, APlantedDatabaseSymlinkIsRefusedNotWrittenThrough) {
  TempDir dir;
  const std::string ws = dir / "ws";
  WriteFile(dir / "victim", "precious");
  ASSERT_EQ(::chmod((dir / "victim").c_str(), 0644), 0);
  ASSERT_EQ(::mkdir(ws.c_str(), 0700), 0);
  ASSERT_EQ(::symlink((dir / "victim").c_str(), (ws + "/workspace.db").c_str()), 0);
  auto opened = WorkspaceStore::Open(ws);
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find("symbolic link"), std::string::npos)
      << opened.status().message();
  EXPECT_EQ(ReadFile(dir / "victim"), "precious");
  EXPECT_EQ(Mode(dir / "victim"), 0644u) << "not chmod'ed through the link";
}

TEST(StoreTrust, APlantedBlobSymlinkIsReplacedOnRegisterAndRefusedOnRead) {
  TempDir dir;
  auto store = WorkspaceStore::Open(dir / "ws");
  ASSERT_TRUE(store.ok());
  const std::string bytes = "model weights";
  const std::string blob = dir / ("ws/artifacts/sha256/" + Sha256Hex(bytes));
  // Same size as the model: the old dedupe check (stat follows links) kept it.
  WriteFile(dir / "victim", std::string(bytes.size(), 'v'));
  ASSERT_EQ(::symlink((dir / "victim").c_str(), blob.c_str()), 0);
  WriteFile(dir / "model.bin", bytes);
  ModelRecord record = Register(**store, "m", dir / "model.bin");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(blob))) << "the link was replaced";
  EXPECT_EQ(ReadFile(dir / "victim"), std::string(bytes.size(), 'v')) << "not written through";
  EXPECT_TRUE((*store)->VerifyArtifact(record).ok());

  // A link planted after registration, even to identical bytes, is not read.
  WriteFile(dir / "copy", bytes);
  ASSERT_EQ(::unlink(blob.c_str()), 0);
  ASSERT_EQ(::symlink((dir / "copy").c_str(), blob.c_str()), 0);
  const Status s = (*store)->VerifyArtifact(record);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();
  EXPECT_FALSE((*store)->ResolveArtifactPath(record).ok());
}

// Item 6: a folder registration refuses symlinks that leave the folder.
TEST(StoreTrust, AFolderWithASymlinkLeavingItIsRefusedAndNothingIsRegistered) {
  TempDir dir;
  auto store = WorkspaceStore::Open(dir / "ws");
  ASSERT_TRUE(store.ok());
  WriteFile(dir / "secret", "someone else's");
  WriteFile(dir / "m/model.bin", "w");
  ASSERT_EQ(::symlink((dir / "secret").c_str(), (dir / "m/extra.bin").c_str()), 0);
  auto refused = (*store)->RegisterModel({"m", dir / "m", "", {}, {}});
  ASSERT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("extra.bin', which points outside the folder"),
            std::string::npos)
      << refused.status().message();
  EXPECT_TRUE((*store)->ListModels(std::nullopt)->empty());
  const std::string stored = dir / ("ws/artifacts/sha256/" + Sha256Hex("someone else's"));
  EXPECT_FALSE(fs::exists(stored)) << "the outside file was never copied in";

  // Relative links that climb out are refused the same way; a link to a
  // directory (whose files would be skipped) too.
  ASSERT_EQ(::unlink((dir / "m/extra.bin").c_str()), 0);
  ASSERT_EQ(::symlink("../secret", (dir / "m/extra.bin").c_str()), 0);
  EXPECT_EQ((*store)->RegisterModel({"m", dir / "m", "", {}, {}}).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_EQ(::unlink((dir / "m/extra.bin").c_str()), 0);
  fs::create_directories(dir / "m/sub");
  WriteFile(dir / "m/sub/x", "x");
  ASSERT_EQ(::symlink("sub", (dir / "m/alias").c_str()), 0);
  auto dir_link = (*store)->RegisterModel({"m", dir / "m", "", {}, {}});
  EXPECT_EQ(dir_link.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dir_link.status().message().find("to a directory"), std::string::npos);
  ASSERT_EQ(::unlink((dir / "m/alias").c_str()), 0);

  // A link to a file inside the folder is the file's content under its name.
  ASSERT_EQ(::symlink("model.bin", (dir / "m/alias.bin").c_str()), 0);
  ModelRecord ok = Register(**store, "m", dir / "m");
  ASSERT_TRUE((*store)->DownloadModel("m", ok.version, dir / "out").ok());
  EXPECT_EQ(ReadFile(dir / "out/alias.bin"), "w");
  EXPECT_FALSE(fs::is_symlink(dir / "out/alias.bin"));
}

// Item 6: a tampered `file_name` cannot steer a download.
TEST(StoreTrust, ATamperedFileNameIsRefusedAndNothingIsWritten) {
  TempDir dir;
  auto store = WorkspaceStore::Open(dir / "ws");
  ASSERT_TRUE(store.ok());
  WriteFile(dir / "model.bin", "w");
  Register(**store, "m", dir / "model.bin");
  for (const char* bad : {"../../x", "/etc/x", "..", "", "a/b"}) {
    Sql(dir / "ws/workspace.db", std::string("UPDATE models SET file_name = '") + bad + "'");
    const Status s = (*store)->DownloadModel("m", 1, dir / "out").status();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << bad;
    EXPECT_NE(s.message().find("not a plain file name"), std::string::npos) << s.message();
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
}

// Item 8: the digest recorded at registration is what skiff-server
// recomputes over the path it is handed, for a file and a folder.
TEST(StoreTrust, TheRecordedDigestIsTheArtifactDigestOfTheResolvedPath) {
  TempDir dir;
  auto store = WorkspaceStore::Open(dir / "ws");
  ASSERT_TRUE(store.ok());
  WriteFile(dir / "model.bin", "w");
  WriteFile(dir / "m/config.json", "{}");
  WriteFile(dir / "m/deep/er/weights.bin", "ww");
  for (const ModelRecord& r :
       {Register(**store, "file", dir / "model.bin"), Register(**store, "folder", dir / "m")}) {
    auto path = (*store)->ResolveArtifactPath(r);
    ASSERT_TRUE(path.ok()) << path.status().ToString();
    auto digest = ArtifactDigest(*path);
    ASSERT_TRUE(digest.ok()) << digest.status().ToString();
    EXPECT_EQ(*digest, r.sha256) << r.name;
  }
}

}  // namespace
}  // namespace skiff::store
