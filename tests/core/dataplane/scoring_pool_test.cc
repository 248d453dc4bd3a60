// SPDX-License-Identifier: Apache-2.0
// ScoringPool with fake models whose progress the test controls with gates,
// so the 503/504 paths are exercised without timing races.
#include "skiff/dataplane/scoring_pool.h"

#include <atomic>
#include <cstring>
#include <future>

#include <gtest/gtest.h>

#include "gate.h"

namespace skiff::dataplane {
namespace {

using skiff::testing::Gate;
using skiff::testing::WaitFor;


struct Shared {
  std::atomic<int> loads{0};
  std::atomic<int> concurrent{0};
  std::atomic<int> max_concurrent{0};
  std::atomic<int> entered{0};
  Gate gate;
  std::atomic<bool> block{false};  // read by worker threads, set by the test
};

class FakeModel : public LoadedModel {
 public:
  explicit FakeModel(Shared* shared) : shared_(shared) {
    sig_.inputs.push_back({"x", DataType::kFp32, {-1}});
    sig_.outputs.push_back({"y", DataType::kFp32, {-1}});
  }
  const Signature& signature() const override { return sig_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override {
    EXPECT_EQ(busy_.exchange(true), false) << "Score() entered concurrently on one model";
    int now = ++shared_->concurrent;
    int prev = shared_->max_concurrent.load();
    while (now > prev && !shared_->max_concurrent.compare_exchange_weak(prev, now)) {}
    ++shared_->entered;
    if (shared_->block) shared_->gate.Wait();
    --shared_->concurrent;
    busy_ = false;
    if (inputs[0].data.empty()) return InvalidArgument("empty input");
    Tensor y = inputs[0];
    y.name = "y";
    y.data[0] ^= 0xFF;
    return std::vector<Tensor>{y};
  }

 private:
  Shared* shared_;
  Signature sig_;
  std::atomic<bool> busy_{false};
};

ScoringPool::ModelFactory Factory(Shared* shared) {
  return [shared]() -> StatusOr<std::shared_ptr<LoadedModel>> {
    ++shared->loads;
    return std::shared_ptr<LoadedModel>(new FakeModel(shared));
  };
}

std::vector<Tensor> Input(uint8_t first) {
  return {Tensor{"x", DataType::kFp32, {1}, {first, 0, 0, 0}}};
}

std::future<ScoreResult> Submit(ScoringPool& pool, std::vector<Tensor> in) {
  auto p = std::make_shared<std::promise<ScoreResult>>();
  auto f = p->get_future();
  pool.Submit(std::move(in), [p](ScoreResult r) { p->set_value(std::move(r)); });
  return f;
}


TEST(DataPlaneScoringPoolTest, ScoresWithAtMostOneRequestPerModel) {
  Shared shared;
  ScoringPoolOptions options;
  options.workers = 3;
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(shared.loads.load(), 3);
  std::vector<std::future<ScoreResult>> results;
  for (int i = 0; i < 200; ++i) results.push_back(Submit(**pool, Input(static_cast<uint8_t>(i))));
  for (int i = 0; i < 200; ++i) {
    ScoreResult r = results[i].get();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.outputs[0].data[0], static_cast<uint8_t>(i) ^ 0xFF);
  }
  EXPECT_LE(shared.max_concurrent.load(), 3);
}

TEST(DataPlaneScoringPoolTest, ModelErrorPropagates) {
  Shared shared;
  auto pool = ScoringPool::Create({}, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  ScoreResult r = Submit(**pool, {Tensor{"x", DataType::kFp32, {0}, {}}}).get();
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status.message(), "empty input");
}

TEST(DataPlaneScoringPoolTest, WaitingPastMaxQueueWaitGets503WhileWorkerIsBusy) {
  Shared shared;
  shared.block = true;
  ScoringPoolOptions options;
  options.max_queue_wait = std::chrono::milliseconds(50);
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  auto first = Submit(**pool, Input(1));
  WaitFor([&] { return shared.entered.load() == 1; });
  auto second = Submit(**pool, Input(2));
  ScoreResult r = second.get();  // answered while the first is still blocked
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("maxQueueWaitMs (50 ms)"), std::string::npos);
  shared.gate.Open();
  EXPECT_TRUE(first.get().status.ok());
}

TEST(DataPlaneScoringPoolTest, FullQueueGets503AtOnce) {
  Shared shared;
  shared.block = true;
  ScoringPoolOptions options;
  options.max_queue = 1;
  options.max_queue_wait = std::chrono::seconds(30);
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  auto running = Submit(**pool, Input(1));
  WaitFor([&] { return shared.entered.load() == 1; });
  auto queued = Submit(**pool, Input(2));
  ScoreResult rejected = Submit(**pool, Input(3)).get();
  EXPECT_EQ(rejected.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(rejected.status.message().find("queue is full"), std::string::npos);
  shared.gate.Open();
  EXPECT_TRUE(running.get().status.ok());
  EXPECT_TRUE(queued.get().status.ok());
}

TEST(DataPlaneScoringPoolTest, ScoringTimeoutGets504AndTheSlotIsReclaimed) {
  Shared shared;
  shared.block = true;
  ScoringPoolOptions options;
  options.scoring_timeout = std::chrono::milliseconds(100);
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  ScoreResult r = Submit(**pool, Input(1)).get();  // the model is stuck behind the gate
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status.message().find("scoringTimeoutMs (100 ms)"), std::string::npos);
  // A replacement worker with a fresh model takes the slot.
  WaitFor([&] { return shared.loads.load() == 2; });
  shared.block = false;  // the new model answers at once; the old one is still stuck
  ScoreResult next = Submit(**pool, Input(7)).get();
  EXPECT_TRUE(next.status.ok()) << next.status.ToString();
  EXPECT_EQ(next.outputs[0].data[0], 7 ^ 0xFF);
  shared.gate.Open();
}

TEST(DataPlaneScoringPoolTest, LoadFailureFailsCreate) {
  auto pool = ScoringPool::Create({}, []() -> StatusOr<std::shared_ptr<LoadedModel>> {
    return InvalidArgument("corrupt model");
  });
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().message(), "corrupt model");
}

TEST(DataPlaneScoringPoolTest, ShutdownAnswersQueuedJobs) {
  Shared shared;
  shared.block = true;
  ScoringPoolOptions options;
  options.max_queue_wait = std::chrono::seconds(30);
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  auto running = Submit(**pool, Input(1));
  WaitFor([&] { return shared.entered.load() == 1; });
  auto queued = Submit(**pool, Input(2));
  // Destroy while the first job is stuck: the queued one is answered 503 at
  // once, and destruction completes when the running one finishes.
  std::thread destroyer([&] { pool->reset(); });
  ScoreResult q = queued.get();
  EXPECT_EQ(q.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(q.status.message(), "the model version is shutting down");
  shared.gate.Open();
  destroyer.join();
  EXPECT_TRUE(running.get().status.ok());
}

// Cancel (DataPlane::Shutdown's step 4): the running and the queued job are
// answered with the reason while the model is still stuck, a later job at
// once; the stuck model's own answer is dropped when it returns.
TEST(DataPlaneScoringPoolTest, CancelAnswersRunningAndQueuedJobsWithoutWaitingForTheModel) {
  Shared shared;
  shared.block = true;
  ScoringPoolOptions options;
  options.max_queue_wait = std::chrono::seconds(30);
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  auto running = Submit(**pool, Input(1));
  WaitFor([&] { return shared.entered.load() == 1; });
  auto queued = Submit(**pool, Input(2));
  (*pool)->Cancel(Unavailable("the server is shutting down"));
  for (auto* f : {&running, &queued}) {
    ScoreResult r = f->get();
    EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
    EXPECT_EQ(r.status.message(), "the server is shutting down");
  }
  ScoreResult later = Submit(**pool, Input(3)).get();
  EXPECT_EQ(later.status.message(), "the server is shutting down");
  shared.gate.Open();
  pool->reset();  // joins the worker once the model returns; nothing answers twice
  EXPECT_EQ(shared.entered.load(), 1);
}

// An AsyncModel that answers either at once, inside ScoreAsync (on the
// caller's thread), or later from its own thread when the test releases it.
class FakeAsyncModel : public AsyncModel {
 public:
  FakeAsyncModel() {
    sig_.inputs.push_back({"x", DataType::kFp32, {-1}});
    sig_.outputs.push_back({"y", DataType::kFp32, {-1}});
  }
  ~FakeAsyncModel() override { ReleaseAll(Unavailable("model shut down")); }
  const Signature& signature() const override { return sig_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>&) override {
    return Internal("a pool of AsyncModels must not call Score()");
  }
  void ScoreAsync(std::vector<Tensor> inputs, Callback done) override {
    if (answer_at_once) {
      inputs[0].data[0] ^= 0xFF;
      return done(std::move(inputs));
    }
    std::lock_guard<std::mutex> l(mu_);
    held_.emplace_back(std::move(inputs), std::move(done));
  }
  size_t held() {
    std::lock_guard<std::mutex> l(mu_);
    return held_.size();
  }
  // Answers every held request from a thread of its own.
  void ReleaseAll(const Status& error = OkStatus()) {
    std::vector<std::pair<std::vector<Tensor>, Callback>> held;
    {
      std::lock_guard<std::mutex> l(mu_);
      held.swap(held_);
    }
    std::thread([&] {
      for (auto& [inputs, done] : held) {
        if (!error.ok()) {
          done(error);
          continue;
        }
        inputs[0].data[0] ^= 0xFF;
        done(std::move(inputs));
      }
    }).join();
  }
  std::atomic<bool> answer_at_once{false};

 private:
  Signature sig_;
  std::mutex mu_;
  std::vector<std::pair<std::vector<Tensor>, Callback>> held_;
};

std::shared_ptr<FakeAsyncModel> MakeAsyncPool(const ScoringPoolOptions& options,
                                              std::unique_ptr<ScoringPool>* pool) {
  auto model = std::make_shared<FakeAsyncModel>();
  auto made = ScoringPool::Create(options, [model]() -> StatusOr<std::shared_ptr<LoadedModel>> {
    return std::shared_ptr<LoadedModel>(model);
  });
  EXPECT_TRUE(made.ok());
  *pool = std::move(made).value();
  return model;
}

std::future<ScoreResult> SubmitNoting(ScoringPool& pool, std::vector<Tensor> in,
                                      std::thread::id* answered_on) {
  auto p = std::make_shared<std::promise<ScoreResult>>();
  auto f = p->get_future();
  pool.Submit(std::move(in), [p, answered_on](ScoreResult r) {
    *answered_on = std::this_thread::get_id();
    p->set_value(std::move(r));
  });
  return f;
}

TEST(DataPlaneScoringPoolTest, AsyncModelsGetJobsWithoutWorkersAndAnswerFromTheirThread) {
  std::unique_ptr<ScoringPool> pool;
  auto model = MakeAsyncPool({}, &pool);
  std::thread::id answered_on;
  auto result = SubmitNoting(*pool, Input(5), &answered_on);
  EXPECT_EQ(model->held(), 1u) << "handed straight to the model";
  EXPECT_EQ(pool->in_flight(), 1);
  model->ReleaseAll();
  ScoreResult r = result.get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs[0].data[0], 5 ^ 0xFF);
  EXPECT_NE(answered_on, std::this_thread::get_id());
  EXPECT_EQ(pool->in_flight(), 0);
}

TEST(DataPlaneScoringPoolTest, AsyncAnswerInsideSubmitIsNotDeliveredOnTheCallersThread) {
  std::unique_ptr<ScoringPool> pool;
  auto model = MakeAsyncPool({}, &pool);
  model->answer_at_once = true;
  std::thread::id answered_on;
  ScoreResult r = SubmitNoting(*pool, Input(9), &answered_on).get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs[0].data[0], 9 ^ 0xFF);
  EXPECT_NE(answered_on, std::this_thread::get_id()) << "done ran inside Submit";
}

TEST(DataPlaneScoringPoolTest, AsyncJobPastScoringTimeoutGets504AndLateAnswerIsDropped) {
  ScoringPoolOptions options;
  options.scoring_timeout = std::chrono::milliseconds(100);
  std::unique_ptr<ScoringPool> pool;
  auto model = MakeAsyncPool(options, &pool);
  std::atomic<int> calls{0};
  auto p = std::make_shared<std::promise<ScoreResult>>();
  auto f = p->get_future();
  pool->Submit(Input(1), [p, &calls](ScoreResult r) {
    if (++calls == 1) p->set_value(std::move(r));
  });
  ScoreResult r = f.get();
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  model->ReleaseAll();  // the late answer must not reach `done` again
  EXPECT_EQ(calls.load(), 1);
}

TEST(DataPlaneScoringPoolTest, AsyncFullPoolGets503AndShutdownAnswersHeldJobs) {
  ScoringPoolOptions options;
  options.max_queue = 1;
  std::unique_ptr<ScoringPool> pool;
  auto model = MakeAsyncPool(options, &pool);
  auto held = Submit(*pool, Input(1));
  ScoreResult rejected = Submit(*pool, Input(2)).get();
  EXPECT_EQ(rejected.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(rejected.status.message().find("queue is full"), std::string::npos);
  model.reset();  // the pool holds the last reference
  pool.reset();   // the model answers what it held as it goes
  ScoreResult r = held.get();
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status.message(), "model shut down");
}

}  // namespace
}  // namespace skiff::dataplane
