// SPDX-License-Identifier: Apache-2.0
// DynamicBatcher: merges concurrent requests for one replica into batches
// along dimension 0, scores each batch once and hands every caller exactly
// its own rows back. Standard library only; works with any LoadedModel.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "skiff/accelerator.h"
#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff {

// Settings of one batcher. Dynamic batching is off unless the inference
// config enables it; these are the defaults when it does.
struct DynamicBatcherOptions {
  // Most rows (sum of dim 0 over the merged requests) in one batch. A batch
  // ships as soon as it reaches this size. A single request larger than
  // this runs on its own. Must be >= 1.
  int64_t max_batch_size = 8;
  // How long the oldest queued request may wait for company before its
  // batch ships anyway. 0 = ship whatever is queued at once.
  int64_t max_queue_delay_us = 1000;
  // Most requests waiting (not counting the batch being scored); a request
  // beyond it is refused with kResourceExhausted. Must be >= 1.
  size_t max_queue_size = 1024;
  // Called on the worker thread with the number of requests merged into each
  // batch just before it is scored (metrics). Must be cheap and not throw.
  std::function<void(size_t requests)> on_batch;
};

class DynamicBatcher {
 public:
  using Result = StatusOr<std::vector<Tensor>>;
  // Called exactly once per request, on the batcher's worker thread (or on
  // the caller's thread when Submit() refuses the request at once). Must not
  // throw and should return quickly: it delays the next batch.
  using Callback = std::function<void(Result)>;

  // Starts the worker thread. `model` is not owned and must outlive the
  // batcher; the batcher is then the only caller of its Score().
  // Errors: kInvalidArgument for out-of-range options.
  static Status Create(const DynamicBatcherOptions& options, LoadedModel* model,
                       std::unique_ptr<DynamicBatcher>* out);

  // Shutdown(), then joins the worker.
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Queues one request (`inputs` in signature order). `done` receives its
  // outputs, or: kInvalidArgument if the inputs do not match the model's
  // signature, kResourceExhausted when the queue is full, kUnavailable after
  // Shutdown(), or the error Score() returned for the request's batch.
  // Threading: may be called concurrently from any number of threads.
  void Submit(std::vector<Tensor> inputs, Callback done);
  // As above, with a future instead of a callback.
  // Threading: may be called concurrently from any number of threads.
  std::future<Result> Submit(std::vector<Tensor> inputs);

  // Stops taking requests, lets the batch being scored finish and fails
  // every request still queued with kUnavailable. Idempotent.
  // Threading: may be called from any thread except from a Callback.
  void Shutdown();

  // Requests queued and not yet taken into a batch (for metrics and tests).
  // Threading: may be called concurrently with anything.
  size_t QueueSize() const;

 private:
  // One queued request.
  struct Pending {
    std::vector<Tensor> inputs;
    Callback done;
    // Requests merge only when their keys are equal (same dtypes and dims
    // except dim 0); empty when the request cannot be merged at all.
    std::string key;
    int64_t rows = 0;  // dim 0 shared by all inputs
    std::chrono::steady_clock::time_point enqueued;
  };

  DynamicBatcher(const DynamicBatcherOptions& options, LoadedModel* model);
  static int64_t QueuedRows(const Pending& p);
  void Run();  // the worker loop
  // Takes the next batch off the queue. Requires mu_ held; returns false when
  // stopping. May wait on cv_ (and so release mu_).
  bool NextBatch(std::unique_lock<std::mutex>& lock, std::vector<Pending>* batch);
  void Execute(std::vector<Pending>& batch);

  const DynamicBatcherOptions options_;
  LoadedModel* const model_;  // not owned

  mutable std::mutex mu_;
  std::condition_variable cv_;  // signals: a request arrived, or stopping_
  std::deque<Pending> queue_;   // guarded by mu_
  // Rows in queue_ (an unmergeable request counts 1). Submit wakes the
  // worker only when this could complete a batch or the queue was empty,
  // not on every request. Guarded by mu_.
  int64_t queued_rows_ = 0;
  bool stopping_ = false;       // guarded by mu_
  std::thread worker_;          // started in Create(), joined in Shutdown()
  std::once_flag join_once_;
};

}  // namespace skiff
