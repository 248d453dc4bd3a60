// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skiff/store/workspace_store.h"
#include "test_util.h"

namespace skiff::store {
namespace {

using testing::TempDir;
using testing::WriteFile;

class StoreServices : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = WorkspaceStore::Open(dir_ / "ws");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->CreateComputeTarget({"local", "local", "{}", "Succeeded", "", ""}).ok());
    WriteFile(dir_ / "m.bin", "x");
    ASSERT_TRUE(store_->RegisterModel({"m", dir_ / "m.bin", "", {}, {}}).ok());
  }
  TempDir dir_;
  std::unique_ptr<WorkspaceStore> store_;
};

TEST_F(StoreServices, ComputeTargetCrud) {
  EXPECT_EQ(store_->CreateComputeTarget({"local", "local", "{}", "", "", ""}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateComputeTarget({"bad", "aks", "{not json", "", "", ""}).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(
      store_->UpdateComputeTarget({"local", "local", R"({"a":1})", "Updating", "", ""}).ok());
  auto target = store_->GetComputeTarget("local");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->state, "Updating");
  EXPECT_EQ(target->config_json, R"({"a":1})");
  EXPECT_EQ(store_->ListComputeTargets()->size(), 1u);
  EXPECT_TRUE(store_->DeleteComputeTarget("local").ok());
  EXPECT_EQ(store_->GetComputeTarget("local").status().code(), StatusCode::kNotFound);
}

TEST_F(StoreServices, ServiceCrudAndTargetInUse) {
  ServiceRecord svc;
  svc.name = "svc";
  svc.compute_target = "local";
  svc.state = "Transitioning";
  svc.models = {{"m", 1}};
  ASSERT_TRUE(store_->CreateService(svc).ok());
  EXPECT_EQ(store_->CreateService(svc).code(), StatusCode::kAlreadyExists);
  svc.state = "Healthy";
  svc.scoring_uri = "http://127.0.0.1:1/score";
  ASSERT_TRUE(store_->UpdateService(svc).ok());
  auto got = store_->GetService("svc");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, "Healthy");
  ASSERT_EQ(got->models.size(), 1u);
  EXPECT_EQ(got->models[0].name, "m");
  Status s = store_->DeleteComputeTarget("local");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("svc"), std::string::npos);
  svc.models = {{"m", 9}};
  EXPECT_EQ(store_->UpdateService(svc).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListServices()->size(), 1u);
}

TEST_F(StoreServices, OperationLockRefusesASecondOperation) {
  ServiceRecord svc;
  svc.name = "svc";
  svc.compute_target = "local";
  ASSERT_TRUE(store_->CreateService(svc).ok());
  ASSERT_TRUE(store_->BeginOperation("svc", "update").ok());
  // A second process sees the marker too.
  auto other = WorkspaceStore::Open(dir_ / "ws");
  ASSERT_TRUE(other.ok());
  Status s = (*other)->BeginOperation("svc", "delete");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("operation in progress: update on service 'svc' since "),
            std::string::npos)
      << s.message();
  EXPECT_EQ(store_->GetService("svc")->operation, "update");
  ASSERT_TRUE(store_->EndOperation("svc").ok());
  EXPECT_TRUE((*other)->BeginOperation("svc", "delete").ok());
  EXPECT_EQ(store_->BeginOperation("nope", "x").code(), StatusCode::kNotFound);
}

// A CLI killed mid-operation (here: a child that takes the lock and exits
// without releasing it) must not lock the service forever.
TEST_F(StoreServices, OperationLockOfAProcessThatIsGoneIsTakenOver) {
  ServiceRecord svc;
  svc.name = "svc";
  svc.compute_target = "local";
  ASSERT_TRUE(store_->CreateService(svc).ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto mine = WorkspaceStore::Open(dir_ / "ws");
    ::_exit(mine.ok() && (*mine)->BeginOperation("svc", "update").ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(store_->GetService("svc")->operation, "update") << "the child's marker is left";

  EXPECT_TRUE(store_->BeginOperation("svc", "delete").ok()) << "its owner is gone: taken over";
  EXPECT_EQ(store_->GetService("svc")->operation, "delete");
  // The new marker belongs to a live process (us) and is respected.
  auto other = WorkspaceStore::Open(dir_ / "ws");
  ASSERT_TRUE(other.ok());
  Status s = (*other)->BeginOperation("svc", "update");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos)
      << s.message();
}

TEST_F(StoreServices, EndpointVersionsHoldTheirModels) {
  ASSERT_TRUE(store_->CreateEndpoint({"ep", "local", "Healthy", "{}", "", "", ""}).ok());
  EndpointVersionRecord v;
  v.endpoint = "ep";
  v.version_name = "blue";
  v.traffic_percentile = 80;
  v.is_default = true;
  v.models = {{"m", 1}};
  ASSERT_TRUE(store_->PutEndpointVersion(v).ok());
  v.traffic_percentile = 70;
  ASSERT_TRUE(store_->PutEndpointVersion(v).ok());  // upsert
  auto versions = store_->ListEndpointVersions("ep");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].traffic_percentile, 70);
  EXPECT_TRUE((*versions)[0].is_default);
  ASSERT_EQ((*versions)[0].models.size(), 1u);
  Status s = store_->DeleteModel("m", 1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("endpoint ep version blue"), std::string::npos) << s.message();
  v.traffic_percentile = 101;
  EXPECT_EQ(store_->PutEndpointVersion(v).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->DeleteEndpoint("ep").ok());
  EXPECT_TRUE(store_->DeleteModel("m", 1).ok());
}

}  // namespace
}  // namespace skiff::store
