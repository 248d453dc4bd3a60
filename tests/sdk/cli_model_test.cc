// SPDX-License-Identifier: Apache-2.0
// Runs the built `skiff` binary against a temp workspace.
#include "cli_harness.h"

#include <sqlite3.h>
#include <unistd.h>

namespace {

using CliModel = skiff::testing::CliFixture;
using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Spit;
namespace fs = std::filesystem;

TEST_F(CliModel, RegisterListShowFileAndFolder) {
  Spit(Path("model.onnx"), "onnx-bytes");
  Spit(Path("folder/weights.bin"), "w");
  Spit(Path("folder/cfg/labels.txt"), "a\nb\n");
  auto v1 = Json({"model", "register", "-n", "resnet", "-p", Path("model.onnx"), "--tag",
                  "stage=dev", "--property", "acc=0.9", "--description", "first", "-o", "json"});
  EXPECT_EQ(v1["id"], "resnet:1");
  EXPECT_EQ(v1["kind"], "file");
  EXPECT_EQ(v1["sizeBytes"], 10);
  EXPECT_EQ(v1["tags"]["stage"], "dev");
  EXPECT_EQ(v1["properties"]["acc"], "0.9");
  EXPECT_EQ(v1["description"], "first");
  EXPECT_EQ(v1["sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(v1["createdTime"].get<std::string>().empty());
  auto v2 = Json({"model", "register", "-n", "resnet", "-p", Path("folder"), "-o", "json"});
  EXPECT_EQ(v2["version"], 2);
  EXPECT_EQ(v2["kind"], "folder");

  auto list = Json({"model", "list", "-o", "json"});
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["id"], "resnet:2");
  auto shown = Json({"model", "show", "-m", "resnet:1", "-o", "json"});
  EXPECT_EQ(shown["sha256"], v1["sha256"]);
  auto latest = Json({"model", "show", "-n", "resnet", "-o", "json"});
  EXPECT_EQ(latest["version"], 2);
  Result table = Skiff({"model", "list"});
  EXPECT_EQ(table.rc, 0);
  EXPECT_NE(table.out.find("NAME"), std::string::npos);
}

TEST_F(CliModel, DownloadRoundTripsBytes) {
  std::string bytes(70000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31);
  Spit(Path("model.bin"), bytes);
  Spit(Path("folder/a.bin"), bytes.substr(0, 100));
  Spit(Path("folder/sub/b.bin"), "bbb");
  ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("model.bin")}).rc, 0);
  ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("folder")}).rc, 0);
  Result r = Skiff({"model", "download", "-m", "m:1", "-t", Path("dl")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(Slurp(Path("dl/model.bin")), bytes);
  ASSERT_EQ(Skiff({"model", "download", "-m", "m:2", "-t", Path("dl")}).rc, 0);
  EXPECT_EQ(Slurp(Path("dl/folder/a.bin")), bytes.substr(0, 100));
  EXPECT_EQ(Slurp(Path("dl/folder/sub/b.bin")), "bbb");
  ExpectOneLineError(Skiff({"model", "download", "-m", "m:1", "-t", Path("dl")}), "already exists");
}

TEST_F(CliModel, ErrorsAreOneLineAndNonZero) {
  ExpectOneLineError(Skiff({"model", "register", "-n", "m", "-p", Path("missing.bin")}),
                     "model path '" + Path("missing.bin") + "' does not exist");
  ExpectOneLineError(Skiff({"model", "show", "-m", "ghost:3"}),
                     "model 'ghost:3' is not registered");
  Spit(Path("m.bin"), "x");
  ExpectOneLineError(Skiff({"model", "register", "-n", "m", "-p", Path("m.bin"), "--tag", "oops"}),
                     "invalid --tag 'oops'");
  ExpectOneLineError(Skiff({"model", "register", "-n", "-bad", "-p", Path("m.bin")}), "model name");
  ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("m.bin")}).rc, 0);
  ASSERT_EQ(Skiff({"model", "delete", "-m", "m:1"}).rc, 0);
  ExpectOneLineError(Skiff({"model", "delete", "-m", "m:1"}), "model 'm:1' is not registered");
}

TEST_F(CliModel, GcRemovesArtifactsOfDeletedModelsAndTempFiles) {
  Spit(Path("keep.bin"), "keep");
  Spit(Path("gone.bin"), "gone");
  ASSERT_EQ(Skiff({"model", "register", "-n", "keep", "-p", Path("keep.bin")}).rc, 0);
  ASSERT_EQ(Skiff({"model", "register", "-n", "gone", "-p", Path("gone.bin")}).rc, 0);
  ASSERT_EQ(Skiff({"model", "delete", "-m", "gone:1"}).rc, 0);
  Spit(Path("ws/artifacts/sha256/.tmp-1-0-0"), "left by a killed register");
  // Young files are left alone by default (a register may be writing them).
  auto young = Json({"model", "gc", "-o", "json"});
  EXPECT_EQ(young["blobsRemoved"], 0);
  EXPECT_EQ(young["tempFilesRemoved"], 0);
  auto gc = Json({"model", "gc", "--min-age-seconds", "0", "-o", "json"});
  EXPECT_EQ(gc["blobsRemoved"], 1);
  EXPECT_EQ(gc["tempFilesRemoved"], 1);
  EXPECT_FALSE(fs::exists(Path("ws/artifacts/sha256/.tmp-1-0-0")));
  ASSERT_EQ(Skiff({"model", "download", "-m", "keep:1", "-t", Path("dl")}).rc, 0);
  EXPECT_EQ(Slurp(Path("dl/keep.bin")), "keep");
  Result bad = Skiff({"model", "gc", "--min-age-seconds", "-1"});
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.err.find("--min-age-seconds"), std::string::npos) << bad.err;
}

TEST_F(CliModel, HelpShowsAnExample) {
  for (const char* sub : {"register", "list", "show", "download", "delete", "gc"}) {
    Result r = Skiff({"model", sub, "--help"});
    EXPECT_EQ(r.rc, 0) << sub;
    EXPECT_NE(r.out.find("Example:\n  skiff model " + std::string(sub)), std::string::npos)
        << r.out;
  }
}

// Issue 16 item 6: whatever the store's file_name says, `model download`
// writes and removes nothing outside -t.
void SetFileName(const std::string& db_path, const std::string& file_name) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE models SET file_name = ?", -1, &stmt, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(stmt, 1, file_name.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(CliModel, DownloadOfATamperedFileNameWritesAndDeletesNothingOutsideTheTarget) {
  Spit(Path("model.onnx"), "onnx-bytes");
  ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("model.onnx")}).rc, 0);
  fs::create_directories(Path("dl"));
  Spit(Path("victim"), "precious");
  Spit(Path("victim-dir/file"), "precious");
  for (const std::string& name : {std::string("../victim"), Path("victim"),
                                  std::string("../victim-dir"), std::string("..")}) {
    SetFileName(Path("ws/workspace.db"), name);
    for (bool overwrite : {false, true}) {
      std::vector<std::string> args = {"model", "download", "-m", "m:1", "-t", Path("dl")};
      if (overwrite) args.push_back("--overwrite");
      ExpectOneLineError(Skiff(args), "is not a plain file name");
      EXPECT_EQ(Slurp(Path("victim")), "precious") << name;
      EXPECT_EQ(Slurp(Path("victim-dir/file")), "precious") << name;
      EXPECT_TRUE(fs::is_empty(Path("dl"))) << name;
    }
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 7)
      << "nothing new: dl, ws, out, err, model.onnx, victim, victim-dir";
}

// Issue 16 item 5: a workspace another user owns is refused in one line.
TEST_F(CliModel, AWorkspaceAnotherUserOwnsIsRefusedInOneLine) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown to uid 65534 needs root";
  fs::create_directories(Path("ws"));
  ASSERT_EQ(::chown(Path("ws").c_str(), 65534, 65534), 0);
  ExpectOneLineError(Skiff({"model", "list"}),
                     "refusing '" + Path("ws") + "': it is owned by uid 65534");
  EXPECT_FALSE(fs::exists(Path("ws/workspace.db")));
  ASSERT_EQ(::chown(Path("ws").c_str(), 0, 0), 0);
  ASSERT_EQ(::chmod(Path("ws").c_str(), 0777), 0);
  ExpectOneLineError(Skiff({"model", "list"}), "chmod 700 " + Path("ws"));
}

}  // namespace
