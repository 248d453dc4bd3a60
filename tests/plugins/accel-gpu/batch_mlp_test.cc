// SPDX-License-Identifier: Apache-2.0
// DynamicBatcher with the real MLP on libtorch: batched results equal the
// unbatched ones row for row.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>
#include <thread>

#include "skiff/batching/dynamic_batcher.h"
#include "test_util.h"
#include "torch_model.h"

namespace skiff::accel_gpu {
namespace {

std::string Device() {
  const char* d = std::getenv("SKIFF_TEST_DEVICE");
  return d ? d : "cpu";
}

// Caller c sends 1 to 3 rows with values derived from c.
Tensor Request(int c) {
  const int64_t rows = 1 + c % 3;
  std::vector<double> v;
  for (int64_t i = 0; i < rows * 4; ++i) v.push_back(std::sin(0.37 * c + 0.11 * i) * 3);
  return test::FromDoubles("input", DataType::kFp32, {rows, 4}, v);
}

TEST(BatchMlp, SixtyFourConcurrentCallersMatchUnbatchedRowForRow) {
  auto model = TorchModel::Load(test::FixtureOptions("mlp", Device()));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_TRUE((*model)->Warmup().ok());
  constexpr int kCallers = 64;
  std::vector<std::vector<double>> unbatched(kCallers);
  for (int c = 0; c < kCallers; ++c) {
    auto out = (*model)->Score({Request(c)});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    unbatched[c] = test::ToDoubles((*out)[0]);
  }

  DynamicBatcherOptions options;
  options.max_batch_size = 16;
  options.max_queue_delay_us = 5000;
  std::unique_ptr<DynamicBatcher> batcher;
  ASSERT_TRUE(DynamicBatcher::Create(options, model->get(), &batcher).ok());
  std::vector<std::future<DynamicBatcher::Result>> futures(kCallers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kCallers; ++c) {
    threads.emplace_back([&, c] { futures[c] = batcher->Submit({Request(c)}); });
  }
  for (auto& t : threads) t.join();
  for (int c = 0; c < kCallers; ++c) {
    auto out = futures[c].get();
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 1u);
    EXPECT_EQ((*out)[0].name, "output");
    EXPECT_EQ((*out)[0].shape, (std::vector<int64_t>{1 + c % 3, 3}));
    const std::vector<double> got = test::ToDoubles((*out)[0]);
    ASSERT_EQ(got.size(), unbatched[c].size());
    // A batched GEMM may sum in another order than a one-row one: equal to
    // float rounding, not bit for bit.
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], unbatched[c][i], 1e-5 + 1e-5 * std::fabs(unbatched[c][i]))
          << "caller " << c << " value " << i;
    }
  }
}

TEST(BatchMlp, FullBatchShipsBeforeTheDelay) {
  auto model = TorchModel::Load(test::FixtureOptions("mlp", Device()));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  DynamicBatcherOptions options;
  options.max_batch_size = 4;
  options.max_queue_delay_us = 10'000'000;  // 10 s
  std::unique_ptr<DynamicBatcher> batcher;
  ASSERT_TRUE(DynamicBatcher::Create(options, model->get(), &batcher).ok());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<DynamicBatcher::Result>> futures;
  for (int c = 0; c < 4; ++c) futures.push_back(batcher->Submit({Request(3 * c)}));  // 1 row each
  for (auto& f : futures) EXPECT_TRUE(f.get().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace skiff::accel_gpu
