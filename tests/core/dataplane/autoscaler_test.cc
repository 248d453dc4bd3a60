// SPDX-License-Identifier: Apache-2.0
// The autoscaler's policy (a pure function) and the pool resizing it drives
// (issue 21 item 5). The end-to-end check, a loaded skiff-server scaling
// between minReplicas and maxReplicas, is ComputeLocalParityTest.AutoScaler*.
#include "skiff/dataplane/autoscaler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "skiff/dataplane/scoring_pool.h"

namespace skiff::dataplane {
namespace {

config::AutoScaler Scaler(int min, int max, int target) {
  config::AutoScaler s;
  s.min_replicas = min;
  s.max_replicas = max;
  s.target_utilization = target;
  return s;
}

TEST(AutoscalerPolicyTest, ScalesByUtilisationOverTargetWithinMinAndMax) {
  EXPECT_EQ(DesiredReplicas(1, 100, Scaler(1, 3, 50)), 2);  // twice the target
  EXPECT_EQ(DesiredReplicas(2, 300, Scaler(1, 3, 50)), 3);  // held at max
  EXPECT_EQ(DesiredReplicas(3, 0, Scaler(1, 3, 50)), 1);    // idle: min
  EXPECT_EQ(DesiredReplicas(4, 35, Scaler(2, 10, 70)), 2);  // half the target
  EXPECT_EQ(DesiredReplicas(1, 0, Scaler(2, 10, 70)), 2);   // never below min
}

TEST(AutoscalerPolicyTest, WithinTenPercentOfTheTargetNothingChanges) {
  EXPECT_EQ(DesiredReplicas(4, 75, Scaler(1, 10, 70)), 4);
  EXPECT_EQ(DesiredReplicas(4, 64, Scaler(1, 10, 70)), 4);
  EXPECT_EQ(DesiredReplicas(4, 80, Scaler(1, 10, 70)), 5);
}

// A model that blocks in Score() until the test lets it go, counting how
// many score at once.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> inside{0};
  void Wait() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return open; });
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

class GatedModel : public LoadedModel {
 public:
  explicit GatedModel(Gate* gate) : gate_(gate) {
    sig_.inputs.push_back({"x", DataType::kFp32, {-1}});
    sig_.outputs.push_back({"x", DataType::kFp32, {-1}});
  }
  const Signature& signature() const override { return sig_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override {
    ++gate_->inside;
    gate_->Wait();
    --gate_->inside;
    return inputs;
  }

 private:
  Gate* gate_;
  Signature sig_;
};

bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST(ScoringPoolResizeTest, GrowsWithLoadedWorkersAndShrinksAfterTheirJobs) {
  Gate gate;
  ScoringPoolOptions options;
  options.max_queue_wait = std::chrono::seconds(30);
  auto pool = ScoringPool::Create(options, [&]() -> StatusOr<std::shared_ptr<LoadedModel>> {
    return std::shared_ptr<LoadedModel>(new GatedModel(&gate));
  });
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  EXPECT_EQ((*pool)->workers(), 1);
  (*pool)->Resize(3);
  EXPECT_EQ((*pool)->workers(), 3) << "loading workers count at once";
  std::atomic<int> done{0};
  for (int i = 0; i < 3; ++i) {
    (*pool)->Submit({Tensor{"x", DataType::kFp32, {1}, std::vector<uint8_t>(4)}},
                    [&](ScoreResult r) {
                      EXPECT_TRUE(r.status.ok()) << r.status.ToString();
                      ++done;
                    });
  }
  EXPECT_TRUE(Eventually([&] { return gate.inside.load() == 3; }))
      << "three workers score at once; inside: " << gate.inside.load();
  (*pool)->Resize(1);
  EXPECT_EQ((*pool)->workers(), 1);
  EXPECT_EQ(gate.inside.load(), 3) << "retired workers finish the job they hold";
  gate.Open();
  EXPECT_TRUE(Eventually([&] { return done.load() == 3; }));
}

}  // namespace
}  // namespace skiff::dataplane
