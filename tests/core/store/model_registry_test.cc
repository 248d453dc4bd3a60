// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "skiff/store/model_name.h"
#include "skiff/store/workspace_store.h"
#include "test_util.h"

namespace skiff::store {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

class StoreModels : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = WorkspaceStore::Open(dir_ / "ws");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  ModelRecord Register(const std::string& name, const std::string& path) {
    RegisterModelRequest request;
    request.name = name;
    request.path = path;
    auto record = store_->RegisterModel(request);
    EXPECT_TRUE(record.ok()) << record.status().ToString();
    return record.ok() ? *record : ModelRecord{};
  }
  size_t BlobCount() {
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_ / "ws/artifacts/sha256")) {
      (void)e;
      ++n;
    }
    return n;
  }

  TempDir dir_;
  std::unique_ptr<WorkspaceStore> store_;
};

TEST_F(StoreModels, OpenCreatesPrivateWorkspaceDir) {
  struct stat st;
  ASSERT_EQ(::stat((dir_ / "ws").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(StoreModels, RegisterFileAutoIncrementsVersionAndRecordsMetadata) {
  WriteFile(dir_ / "model.onnx", "weights-v1");
  RegisterModelRequest request{
      "resnet", dir_ / "model.onnx", "a model", {{"stage", "dev"}}, {{"accuracy", "0.9"}}};
  auto v1 = store_->RegisterModel(request);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->id(), "resnet:1");
  EXPECT_EQ(v1->kind, ModelKind::kFile);
  EXPECT_EQ(v1->size_bytes, 10);
  EXPECT_EQ(v1->file_name, "model.onnx");
  // sha256("weights-v1")
  EXPECT_EQ(v1->sha256.size(), 64u);
  WriteFile(dir_ / "model.onnx", "weights-v2");
  auto v2 = store_->RegisterModel(request);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  EXPECT_NE(v2->sha256, v1->sha256);

  auto latest = store_->GetModel("resnet");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, 2);
  auto first = store_->GetModel("resnet", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->tags.at("stage"), "dev");
  EXPECT_EQ(first->properties.at("accuracy"), "0.9");
  EXPECT_EQ(first->description, "a model");
  EXPECT_FALSE(first->created_time.empty());
  EXPECT_EQ(store_->ListModels()->size(), 2u);
  EXPECT_EQ(store_->ListModels(std::string("other"))->size(), 0u);
}

TEST_F(StoreModels, FolderModelRoundTripsThroughDownload) {
  WriteFile(dir_ / "src/model.pt", "torch");
  WriteFile(dir_ / "src/config/labels.txt", "cat\ndog\n");
  ModelRecord record = Register("folder-model", dir_ / "src");
  EXPECT_EQ(record.kind, ModelKind::kFolder);
  EXPECT_EQ(record.size_bytes, 13);
  ASSERT_TRUE(store_->DownloadModel("folder-model", 1, dir_ / "out").ok());
  EXPECT_EQ(ReadFile(dir_ / "out/model.pt"), "torch");
  EXPECT_EQ(ReadFile(dir_ / "out/config/labels.txt"), "cat\ndog\n");
  // Refuses to overwrite.
  Status again = store_->DownloadModel("folder-model", 1, dir_ / "out").status();
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();

  auto path = store_->ResolveArtifactPath(record);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(ReadFile(*path + "/config/labels.txt"), "cat\ndog\n");
}

TEST_F(StoreModels, IdenticalContentIsStoredOnce) {
  WriteFile(dir_ / "a.bin", "same bytes");
  WriteFile(dir_ / "b.bin", "same bytes");
  ModelRecord a = Register("a", dir_ / "a.bin");
  size_t blobs = BlobCount();
  ModelRecord b = Register("b", dir_ / "b.bin");
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(BlobCount(), blobs);
  WriteFile(dir_ / "dir/x", "same bytes");  // folder reuses the file's blob: +1 manifest only
  Register("c", dir_ / "dir");
  EXPECT_EQ(BlobCount(), blobs + 1);
}

TEST_F(StoreModels, TamperedArtifactIsDataLoss) {
  WriteFile(dir_ / "m.bin", "original");
  ModelRecord record = Register("m", dir_ / "m.bin");
  ASSERT_TRUE(store_->VerifyArtifact(record).ok());
  std::string blob = dir_ / ("ws/artifacts/sha256/" + record.sha256);
  ::chmod(blob.c_str(), 0644);
  WriteFile(blob, "tampered");
  Status s = store_->VerifyArtifact(record);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("m:1"), std::string::npos) << s.message();
  EXPECT_EQ(store_->ResolveArtifactPath(record).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(store_->DownloadModel("m", 1, dir_ / "out.bin").status().code(), StatusCode::kDataLoss);
}

TEST_F(StoreModels, TamperedFolderFileIsDataLoss) {
  WriteFile(dir_ / "src/a", "aaa");
  WriteFile(dir_ / "src/b", "bbb");
  ModelRecord record = Register("f", dir_ / "src");
  ASSERT_TRUE(store_->ResolveArtifactPath(record).ok());
  auto path = store_->ResolveArtifactPath(record);
  std::string file = *path + "/b";  // a hard link to the blob: same inode
  ::chmod(file.c_str(), 0644);
  WriteFile(file, "BBB");
  EXPECT_EQ(store_->VerifyArtifact(record).code(), StatusCode::kDataLoss);
}

TEST_F(StoreModels, ClearErrorsForBadInput) {
  RegisterModelRequest request{"ok-name", dir_ / "missing.bin", "", {}, {}};
  Status s = store_->RegisterModel(request).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("model path '" + (dir_ / "missing.bin") + "' does not exist"),
            std::string::npos)
      << s.message();
  WriteFile(dir_ / "m.bin", "x");
  for (const std::string& bad :
       std::vector<std::string>{"", "-lead", "has space", "semi;colon", std::string(256, 'a')}) {
    request = RegisterModelRequest{bad, dir_ / "m.bin", "", {}, {}};
    EXPECT_EQ(store_->RegisterModel(request).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ValidateModelName("a.b_c-1").ok());
  EXPECT_TRUE(ValidateModelName(std::string(255, 'a')).ok());
  EXPECT_EQ(store_->GetModel("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteModel("nope", 1).code(), StatusCode::kNotFound);
  EXPECT_FALSE(ParseModelId("m:0").ok());
  EXPECT_FALSE(ParseModelId("m:x").ok());
  EXPECT_EQ(ParseModelId("m:12")->second, 12);
  EXPECT_EQ(ParseModelId("m")->second, 0);
}

TEST_F(StoreModels, ModelInUseCannotBeDeleted) {
  WriteFile(dir_ / "m.bin", "x");
  Register("m", dir_ / "m.bin");
  ASSERT_TRUE(store_->CreateComputeTarget({"local", "local", "{}", "Succeeded", "", ""}).ok());
  ServiceRecord svc;
  svc.name = "svc1";
  svc.compute_target = "local";
  svc.models = {{"m", 1}};
  ASSERT_TRUE(store_->CreateService(svc).ok());
  Status s = store_->DeleteModel("m", 1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("svc1"), std::string::npos) << s.message();
  ASSERT_TRUE(store_->DeleteService("svc1").ok());
  EXPECT_TRUE(store_->DeleteModel("m", 1).ok());
  EXPECT_EQ(store_->GetModel("m", 1).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreModels, GarbageCollectRemovesOnlyUnreferencedBlobs) {
  WriteFile(dir_ / "keep.bin", "keep");
  WriteFile(dir_ / "drop.bin", "drop");
  ModelRecord keep = Register("keep", dir_ / "keep.bin");
  Register("drop", dir_ / "drop.bin");
  WriteFile(dir_ / "ws/artifacts/sha256/.tmp-1-2-3", "half-written");
  ASSERT_TRUE(store_->DeleteModel("drop", 1).ok());
  auto young = store_->GarbageCollect(std::chrono::hours(1));
  ASSERT_TRUE(young.ok());
  EXPECT_EQ(young->blobs_removed + young->temp_files_removed, 0);
  auto gc = store_->GarbageCollect(std::chrono::seconds(0));
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  EXPECT_EQ(gc->blobs_removed, 1);
  EXPECT_EQ(gc->temp_files_removed, 1);
  EXPECT_TRUE(store_->VerifyArtifact(keep).ok());
}

}  // namespace
}  // namespace skiff::store
