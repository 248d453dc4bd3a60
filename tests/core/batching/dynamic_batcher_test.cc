// SPDX-License-Identifier: Apache-2.0
// DynamicBatcher against a fake LoadedModel (no torch): y = 2 * x, recording
// the shape of every batch it scores.
#include "skiff/batching/dynamic_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>

namespace skiff {
namespace {

using Clock = std::chrono::steady_clock;

class FakeModel : public LoadedModel {
 public:
  FakeModel() {
    signature_.inputs = {{"x", DataType::kFp32, {-1, -1}}};
    signature_.outputs = {{"y", DataType::kFp32, {-1, -1}}};
  }
  const Signature& signature() const override { return signature_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      batch_shapes.push_back(inputs[0].shape);
    }
    entered = true;
    if (gate.valid()) gate.wait();
    if (fail) return Internal("fake model failed");
    Tensor y = inputs[0];
    y.name = "y";
    auto* v = reinterpret_cast<float*>(y.data.data());
    for (int64_t i = 0; i < y.NumElements(); ++i) v[i] *= 2;
    return std::vector<Tensor>{y};
  }

  std::mutex mu;
  std::vector<std::vector<int64_t>> batch_shapes;  // guarded by mu
  std::atomic<bool> entered{false};
  bool fail = false;
  std::shared_future<void> gate;  // when valid, Score() waits on it

 private:
  Signature signature_;
};

Tensor Rows(int64_t rows, int64_t width, float first) {
  Tensor t;
  t.name = "x";
  t.shape = {rows, width};
  std::vector<float> v(static_cast<size_t>(rows * width));
  for (size_t i = 0; i < v.size(); ++i) v[i] = first + static_cast<float>(i);
  t.data.resize(v.size() * sizeof(float));
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

std::vector<float> Floats(const Tensor& t) {
  std::vector<float> v(t.data.size() / sizeof(float));
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

std::unique_ptr<DynamicBatcher> MakeBatcher(FakeModel* model, int64_t max_batch, int64_t delay_us,
                                            size_t queue = 1024) {
  DynamicBatcherOptions o;
  o.max_batch_size = max_batch;
  o.max_queue_delay_us = delay_us;
  o.max_queue_size = queue;
  std::unique_ptr<DynamicBatcher> b;
  Status s = DynamicBatcher::Create(o, model, &b);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return b;
}

TEST(BatchDynamicBatcher, ConcurrentCallersGetExactlyTheirOwnRows) {
  FakeModel model;
  auto batcher = MakeBatcher(&model, 16, 20000);
  constexpr int kCallers = 48;
  std::vector<std::future<DynamicBatcher::Result>> futures(kCallers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kCallers; ++c) {
    threads.emplace_back(
        [&, c] { futures[c] = batcher->Submit({Rows(1 + c % 3, 2, 100.0f * c)}); });
  }
  for (auto& t : threads) t.join();
  int64_t rows = 0;
  for (int c = 0; c < kCallers; ++c) {
    DynamicBatcher::Result r = futures[c].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), 1u);
    const Tensor want = Rows(1 + c % 3, 2, 100.0f * c);
    EXPECT_EQ((*r)[0].shape, want.shape);
    std::vector<float> expected = Floats(want);
    for (float& f : expected) f *= 2;
    EXPECT_EQ(Floats((*r)[0]), expected) << "caller " << c;
    rows += want.shape[0];
  }
  int64_t scored = 0;
  size_t merged = 0;
  for (const auto& shape : model.batch_shapes) {
    scored += shape[0];
    EXPECT_LE(shape[0], 16);
    if (shape[0] > 3) ++merged;
  }
  EXPECT_EQ(scored, rows);
  EXPECT_GT(merged, 0u) << "no batch merged more than one request";
}

// BYTES rows differ in size: a merged batch is cut back at element
// boundaries, not at equal byte counts (issue 20).
class EchoBytesModel : public LoadedModel {
 public:
  EchoBytesModel() {
    signature_.inputs = {{"s", DataType::kBytes, {-1, 2}}};
    signature_.outputs = {{"t", DataType::kBytes, {-1, 2}}};
  }
  const Signature& signature() const override { return signature_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override {
    batches.push_back(inputs[0].shape[0]);
    Tensor t = inputs[0];
    t.name = "t";
    return std::vector<Tensor>{t};
  }
  std::vector<int64_t> batches;  // only the worker thread writes it

 private:
  Signature signature_;
};

TEST(BatchDynamicBatcher, BytesRowsOfDifferentSizesSplitBackPerRequest) {
  EchoBytesModel model;
  DynamicBatcherOptions o;
  o.max_batch_size = 3;
  o.max_queue_delay_us = 10'000'000;  // ships when full
  std::unique_ptr<DynamicBatcher> batcher;
  ASSERT_TRUE(DynamicBatcher::Create(o, &model, &batcher).ok());
  auto strings = [](std::vector<std::string> elements) {
    Tensor t{"s", DataType::kBytes, {static_cast<int64_t>(elements.size() / 2), 2}, {}};
    for (const std::string& e : elements) AppendBytesElement(e, &t.data);
    return t;
  };
  const std::vector<Tensor> sent = {strings({"a", "bbbbbbbb"}),
                                    strings({"", "cc", "dddddddddddd", "e"})};
  std::vector<std::future<DynamicBatcher::Result>> futures;
  futures.push_back(batcher->Submit({sent[0]}));
  futures.push_back(batcher->Submit({sent[1]}));
  for (size_t i = 0; i < 2; ++i) {
    DynamicBatcher::Result r = futures[i].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].shape, sent[i].shape);
    EXPECT_EQ((*r)[0].data, sent[i].data) << "request " << i;
  }
  ASSERT_EQ(model.batches, std::vector<int64_t>{3}) << "both requests in one batch";
}

TEST(BatchDynamicBatcher, FullBatchShipsWithoutWaitingOutTheDelay) {
  FakeModel model;
  auto batcher = MakeBatcher(&model, 4, 10'000'000);  // 10 s
  const auto start = Clock::now();
  std::vector<std::future<DynamicBatcher::Result>> futures;
  for (int c = 0; c < 4; ++c) futures.push_back(batcher->Submit({Rows(1, 2, c)}));
  for (auto& f : futures) ASSERT_TRUE(f.get().ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(model.batch_shapes.size(), 1u);
  EXPECT_EQ(model.batch_shapes[0][0], 4);
}

TEST(BatchDynamicBatcher, LoneRequestShipsAfterTheDelay) {
  FakeModel model;
  auto batcher = MakeBatcher(&model, 4, 50'000);  // 50 ms
  const auto start = Clock::now();
  auto result = batcher->Submit({Rows(1, 2, 1)}).get();
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_GE(elapsed, std::chrono::milliseconds(45));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(BatchDynamicBatcher, IncompatibleShapesGoInSeparateBatches) {
  FakeModel model;
  auto batcher = MakeBatcher(&model, 8, 200'000);
  std::vector<std::future<DynamicBatcher::Result>> futures;
  futures.push_back(batcher->Submit({Rows(1, 2, 0)}));
  futures.push_back(batcher->Submit({Rows(1, 3, 10)}));
  futures.push_back(batcher->Submit({Rows(2, 2, 20)}));
  futures.push_back(batcher->Submit({Rows(1, 3, 30)}));
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  ASSERT_EQ(model.batch_shapes.size(), 2u);
  EXPECT_EQ(model.batch_shapes[0], (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(model.batch_shapes[1], (std::vector<int64_t>{2, 3}));
}

TEST(BatchDynamicBatcher, OversizedRequestRunsAlone) {
  FakeModel model;
  auto batcher = MakeBatcher(&model, 4, 10'000'000);
  auto r = batcher->Submit({Rows(6, 2, 0)}).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape, (std::vector<int64_t>{6, 2}));
  ASSERT_EQ(model.batch_shapes.size(), 1u);
}

TEST(BatchDynamicBatcher, ScoreErrorReachesEveryCallerInTheBatch) {
  FakeModel model;
  model.fail = true;
  auto batcher = MakeBatcher(&model, 3, 10'000'000);
  std::vector<std::future<DynamicBatcher::Result>> futures;
  for (int c = 0; c < 3; ++c) futures.push_back(batcher->Submit({Rows(1, 2, c)}));
  for (auto& f : futures) {
    auto r = f.get();
    EXPECT_EQ(r.status().code(), StatusCode::kInternal);
    EXPECT_EQ(r.status().message(), "fake model failed");
  }
  EXPECT_EQ(model.batch_shapes.size(), 1u);
}

TEST(BatchDynamicBatcher, SignatureMismatchIsRefusedBeforeQueueing) {
  FakeModel model;
  auto batcher = MakeBatcher(&model, 4, 1000);
  Tensor bad = Rows(1, 2, 0);
  bad.dtype = DataType::kInt32;
  auto r = batcher->Submit({bad}).get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("input 'x'"), std::string::npos);
  EXPECT_TRUE(model.batch_shapes.empty());
}

// Blocks the worker inside Score() so that later requests stay queued.
void WaitUntilScoring(FakeModel& model, DynamicBatcher& batcher) {
  const auto until = Clock::now() + std::chrono::seconds(10);
  while ((!model.entered || batcher.QueueSize() != 0) && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(model.entered);
}

TEST(BatchDynamicBatcher, FullQueueIsResourceExhausted) {
  FakeModel model;
  std::promise<void> open;
  model.gate = open.get_future().share();
  auto batcher = MakeBatcher(&model, 1, 0, /*queue=*/2);
  auto a = batcher->Submit({Rows(1, 2, 0)});
  WaitUntilScoring(model, *batcher);
  auto b = batcher->Submit({Rows(1, 2, 1)});
  auto c = batcher->Submit({Rows(1, 2, 2)});
  auto d = batcher->Submit({Rows(1, 2, 3)});
  ASSERT_EQ(d.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(d.get().status().code(), StatusCode::kResourceExhausted);
  open.set_value();
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  EXPECT_TRUE(c.get().ok());
}

TEST(BatchDynamicBatcher, ShutdownFailsQueuedRequestsAndRefusesNewOnes) {
  FakeModel model;
  std::promise<void> open;
  model.gate = open.get_future().share();
  auto batcher = MakeBatcher(&model, 1, 0);
  auto a = batcher->Submit({Rows(1, 2, 0)});
  WaitUntilScoring(model, *batcher);
  auto b = batcher->Submit({Rows(1, 2, 1)});
  std::thread stopper([&] { batcher->Shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  open.set_value();
  stopper.join();
  EXPECT_TRUE(a.get().ok());  // the batch in flight finishes
  EXPECT_EQ(b.get().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(batcher->Submit({Rows(1, 2, 2)}).get().status().code(), StatusCode::kUnavailable);
}

TEST(BatchDynamicBatcher, RejectsBadOptions) {
  FakeModel model;
  std::unique_ptr<DynamicBatcher> b;
  DynamicBatcherOptions o;
  o.max_batch_size = 0;
  EXPECT_EQ(DynamicBatcher::Create(o, &model, &b).code(), StatusCode::kInvalidArgument);
  o = DynamicBatcherOptions();
  EXPECT_EQ(DynamicBatcher::Create(o, nullptr, &b).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skiff
