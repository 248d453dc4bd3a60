// SPDX-License-Identifier: Apache-2.0
// Compute floor of the torch accelerator: in-process Score() time per call for
// each fixture model at batch 1, and 64 one-row requests scored one by one vs
// through the DynamicBatcher (maxBatchSize 16). No HTTP, no auth: this is the
// cost every served request pays at least.
//
//   skiff_bench_accel_floor [device=auto] [fixture_dir]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "skiff/batching/dynamic_batcher.h"
#include "torch_model.h"

namespace {

using Clock = std::chrono::steady_clock;
using skiff::DataType;
using skiff::Tensor;
using skiff::TensorSpec;

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

std::vector<Tensor> Inputs(const skiff::Signature& signature, int64_t rows) {
  std::vector<Tensor> inputs;
  for (const TensorSpec& spec : signature.inputs) {
    Tensor t;
    t.name = spec.name;
    t.dtype = spec.dtype;
    for (size_t i = 0; i < spec.shape.size(); ++i) {
      t.shape.push_back(spec.shape[i] >= 0 ? spec.shape[i] : (i == 0 ? rows : 1));
    }
    t.data.assign(static_cast<size_t>(t.NumElements()) * skiff::DataTypeSize(t.dtype), 0);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

skiff::ModelLoadOptions Options(const std::string& dir, const std::string& name,
                                const std::string& device) {
  skiff::ModelLoadOptions o;
  o.artifact_path = dir + "/" + name + ".pt";
  o.device = device;
  // The fixtures' signatures (tests/fixtures/models/<name>.json), inlined so
  // the benchmark needs no JSON library.
  if (name == "mlp") {
    o.signature.inputs = {{"input", DataType::kFp32, {-1, 4}}};
    o.signature.outputs = {{"output", DataType::kFp32, {-1, 3}}};
  } else if (name == "cnn") {
    o.signature.inputs = {{"input", DataType::kFp32, {-1, 1, 28, 28}}};
    o.signature.outputs = {{"output", DataType::kFp32, {-1, 10}}};
  } else if (name == "two_io") {
    o.signature.inputs = {{"a", DataType::kFp32, {-1, 3}}, {"b", DataType::kInt64, {-1, 2}}};
    o.signature.outputs = {{"score", DataType::kFp32, {-1, 2}},
                           {"doubled", DataType::kInt64, {-1, 2}}};
  } else {
    o.signature.inputs = {{"x", DataType::kFp32, {-1, 4}}};
    o.signature.outputs = {{"logits", DataType::kFp32, {-1, 2}},
                           {"probs", DataType::kFp32, {-1, 2}}};
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string device = argc > 1 ? argv[1] : "auto";
  const std::string dir = argc > 2 ? argv[2] : SKIFF_BENCH_FIXTURE_DIR;
  std::printf("skiff accel-gpu compute floor (device=%s, %u hardware threads, 1 intra-op thread)\n",
              device.c_str(), std::thread::hardware_concurrency());
  std::printf("\n%-10s %-8s %10s %10s %10s\n", "model", "device", "p50_us", "p99_us", "mean_us");

  for (const char* name : {"mlp", "cnn", "two_io", "dict_out"}) {
    auto model = skiff::accel_gpu::TorchModel::Load(Options(dir, name, device));
    if (!model.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, model.status().ToString().c_str());
      return 1;
    }
    if (!(*model)->Warmup().ok()) return 1;
    const std::vector<Tensor> in = Inputs((*model)->signature(), 1);
    for (int i = 0; i < 50; ++i) (void)(*model)->Score(in);
    constexpr int kIters = 2000;
    std::vector<double> us(kIters);
    for (int i = 0; i < kIters; ++i) {
      const auto start = Clock::now();
      auto out = (*model)->Score(in);
      us[i] = Us(Clock::now() - start);
      if (!out.ok()) {
        std::fprintf(stderr, "%s: %s\n", name, out.status().ToString().c_str());
        return 1;
      }
    }
    double sum = 0;
    for (double u : us) sum += u;
    std::sort(us.begin(), us.end());
    std::printf("%-10s %-8s %10.1f %10.1f %10.1f\n", name, (*model)->device().str().c_str(),
                us[kIters / 2], us[kIters * 99 / 100], sum / kIters);
  }

  // 64 one-row requests for cnn: one by one, then 64 concurrent callers
  // through a batcher (maxBatchSize 16, 2 ms delay).
  std::printf("\n%-28s %10s %12s\n", "cnn, 64 requests x 1 row", "total_ms", "requests/s");
  auto model = skiff::accel_gpu::TorchModel::Load(Options(dir, "cnn", device));
  if (!model.ok() || !(*model)->Warmup().ok()) return 1;
  const std::vector<Tensor> one = Inputs((*model)->signature(), 1);
  constexpr int kRequests = 64;
  constexpr int kRounds = 20;
  double best_seq = 1e300;
  double best_batched = 1e300;
  for (int round = 0; round < kRounds; ++round) {
    auto start = Clock::now();
    for (int i = 0; i < kRequests; ++i) {
      if (!(*model)->Score(one).ok()) return 1;
    }
    best_seq = std::min(best_seq, Us(Clock::now() - start));
  }
  skiff::DynamicBatcherOptions options;
  options.max_batch_size = 16;
  options.max_queue_delay_us = 2000;
  std::unique_ptr<skiff::DynamicBatcher> batcher;
  if (!skiff::DynamicBatcher::Create(options, model->get(), &batcher).ok()) return 1;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::future<skiff::DynamicBatcher::Result>> futures(kRequests);
    auto start = Clock::now();
    std::vector<std::thread> callers;
    for (int i = 0; i < kRequests; ++i) {
      callers.emplace_back([&, i] { futures[i] = batcher->Submit(one); });
    }
    for (auto& t : callers) t.join();
    for (auto& f : futures) {
      if (!f.get().ok()) return 1;
    }
    best_batched = std::min(best_batched, Us(Clock::now() - start));
  }
  std::printf("%-28s %10.2f %12.0f\n", "one by one", best_seq / 1000, kRequests / (best_seq / 1e6));
  std::printf("%-28s %10.2f %12.0f\n", "batcher (max 16, 2 ms)", best_batched / 1000,
              kRequests / (best_batched / 1e6));
  std::printf("(best of %d rounds; batched includes spawning 64 caller threads)\n", kRounds);
  return 0;
}
