// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 1: an endpoint's rollout row, its compare-and-set updates and
// the controller lease (two controllers never drive one endpoint).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skiff/store/workspace_store.h"
#include "test_util.h"

namespace skiff::store {
namespace {

using testing::TempDir;

constexpr const char* kOther = "host=another-machine boot=b pid=4242 start=7";

class StoreRollouts : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = WorkspaceStore::Open(dir_ / "ws");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->CreateComputeTarget({"local", "local", "{}", "Succeeded", "", ""}).ok());
    EndpointRecord ep;
    ep.name = "ep";
    ep.compute_target = "local";
    ASSERT_TRUE(store_->CreateEndpoint(ep).ok());
  }
  static RolloutRecord Record(const std::string& status, const std::string& owner = "") {
    RolloutRecord r;
    r.endpoint = "ep";
    r.status = status;
    r.state_json = R"({"status": ")" + status + R"("})";
    r.owner = owner;
    r.lease_expires_ms = owner.empty() ? 0 : 2'000'000;
    return r;
  }
  TempDir dir_;
  std::unique_ptr<WorkspaceStore> store_;
};

TEST_F(StoreRollouts, ASecondStartIsRefusedWhileOneRunsNamingItsController) {
  ASSERT_TRUE(store_->StartRollout(Record("Running", kOther)).ok());
  Status again = store_->StartRollout(Record("Running"));
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("already has a rollout Running (controller pid 4242)"),
            std::string::npos)
      << again.message();
  EXPECT_NE(again.message().find("skiff endpoint rollout abort -n ep"), std::string::npos);

  // Once it ended, a new one replaces it.
  RolloutRecord r = *store_->GetRollout("ep");
  r.status = "Succeeded";
  ASSERT_TRUE(store_->UpdateRollout(r).ok());
  EXPECT_TRUE(store_->StartRollout(Record("Running")).ok());
  EXPECT_EQ(store_->GetRollout("ep")->revision, 1);
}

TEST_F(StoreRollouts, UpdateIsCompareAndSet) {
  ASSERT_TRUE(store_->StartRollout(Record("Running")).ok());
  RolloutRecord a = *store_->GetRollout("ep");
  RolloutRecord b = a;
  a.status = "Paused";
  ASSERT_TRUE(store_->UpdateRollout(a).ok());
  b.status = "Running";
  EXPECT_EQ(store_->UpdateRollout(b).code(), StatusCode::kAborted)
      << "a writer that read before the pause must read again";
  EXPECT_EQ(store_->GetRollout("ep")->status, "Paused");
  EXPECT_EQ(store_->GetRollout("ep")->revision, 2);
}

TEST_F(StoreRollouts, TheLeaseRefusesASecondControllerUntilItExpires) {
  ASSERT_TRUE(store_->StartRollout(Record("Running")).ok());
  const std::string me = WorkspaceStore::CurrentOwner();
  ASSERT_TRUE(store_->AcquireRolloutLease("ep", kOther, 1'000'000, 15'000).ok());
  Status refused = store_->AcquireRolloutLease("ep", me, 1'005'000, 15'000);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("driven by another controller (pid 4242, lease for 10 s more)"),
            std::string::npos)
      << refused.message();
  EXPECT_TRUE(store_->AcquireRolloutLease("ep", kOther, 1'010'000, 15'000).ok()) << "renewal";
  EXPECT_TRUE(store_->AcquireRolloutLease("ep", me, 1'025'001, 15'000).ok()) << "expired";
  EXPECT_EQ(store_->GetRollout("ep")->owner, me);
  ASSERT_TRUE(store_->ReleaseRolloutLease("ep", kOther).ok());
  EXPECT_EQ(store_->GetRollout("ep")->owner, me) << "only the holder releases";
  ASSERT_TRUE(store_->ReleaseRolloutLease("ep", me).ok());
  EXPECT_EQ(store_->GetRollout("ep")->owner, "");
}

TEST_F(StoreRollouts, AKilledHolderLosesTheLeaseAtOnce) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    const std::string id = WorkspaceStore::CurrentOwner();
    (void)!::write(fds[1], id.data(), id.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  char buf[512];
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  ASSERT_GT(n, 0);
  const std::string dead(buf, static_cast<size_t>(n));
  ASSERT_TRUE(store_->StartRollout(Record("Running")).ok());
  ASSERT_TRUE(store_->AcquireRolloutLease("ep", dead, 1'000'000, 60'000).ok());
  EXPECT_TRUE(
      store_->AcquireRolloutLease("ep", WorkspaceStore::CurrentOwner(), 1'001'000, 60'000).ok())
      << "its process is gone, so its lease is not waited out";
}

TEST_F(StoreRollouts, DeletingTheEndpointDeletesItsRollout) {
  ASSERT_TRUE(store_->StartRollout(Record("Running")).ok());
  ASSERT_TRUE(store_->DeleteEndpoint("ep").ok());
  EXPECT_EQ(store_->GetRollout("ep").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff::store
