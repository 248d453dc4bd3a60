// SPDX-License-Identifier: Apache-2.0
#include "skiff/batching/dynamic_batcher.h"

#include <pthread.h>

#include <exception>
#include <string_view>
#include <utility>

#include "skiff/signature_check.h"

namespace skiff {
namespace {

// Inputs merge along dim 0 only when every input has rank >= 1, all share one
// dim 0, and dtype plus the remaining dims agree input by input. The key
// encodes exactly that; "" means "never merge".
std::string BatchKey(const std::vector<Tensor>& inputs, int64_t* rows) {
  *rows = 0;
  if (inputs.empty()) return "";
  std::string key;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (t.shape.empty()) return "";
    if (i == 0) *rows = t.shape[0];
    if (t.shape[0] != *rows) return "";
    key += std::to_string(static_cast<int>(t.dtype));
    for (size_t d = 1; d < t.shape.size(); ++d) key += "," + std::to_string(t.shape[d]);
    key += ";";
  }
  return *rows > 0 ? key : "";
}

}  // namespace

int64_t DynamicBatcher::QueuedRows(const Pending& p) { return p.key.empty() ? 1 : p.rows; }

Status DynamicBatcher::Create(const DynamicBatcherOptions& options, LoadedModel* model,
                              std::unique_ptr<DynamicBatcher>* out) {
  if (model == nullptr) return InvalidArgument("DynamicBatcher: model is null");
  if (out == nullptr) return InvalidArgument("DynamicBatcher: out is null");
  if (options.max_batch_size < 1) {
    return InvalidArgument("dynamic batching: maxBatchSize must be >= 1, got " +
                           std::to_string(options.max_batch_size));
  }
  if (options.max_queue_delay_us < 0) {
    return InvalidArgument("dynamic batching: maxQueueDelayMicroseconds must be >= 0, got " +
                           std::to_string(options.max_queue_delay_us));
  }
  if (options.max_queue_size < 1) {
    return InvalidArgument("dynamic batching: the queue bound must be >= 1");
  }
  out->reset(new DynamicBatcher(options, model));
  (*out)->worker_ = std::thread([b = out->get()] { b->Run(); });
  return OkStatus();
}

DynamicBatcher::DynamicBatcher(const DynamicBatcherOptions& options, LoadedModel* model)
    : options_(options), model_(model) {}

DynamicBatcher::~DynamicBatcher() { Shutdown(); }

void DynamicBatcher::Submit(std::vector<Tensor> inputs, Callback done) {
  Status valid = CheckInputs(model_->signature(), inputs);
  if (!valid.ok()) {
    done(valid);
    return;
  }
  Pending p;
  p.key = BatchKey(inputs, &p.rows);
  p.inputs = std::move(inputs);
  p.done = std::move(done);
  p.enqueued = std::chrono::steady_clock::now();
  bool wake = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      lock.unlock();
      p.done(Unavailable("the model's batcher is shutting down; retry on another replica"));
      return;
    }
    if (queue_.size() >= options_.max_queue_size) {
      lock.unlock();
      p.done(ResourceExhausted("the model's request queue is full (" +
                               std::to_string(options_.max_queue_size) +
                               " waiting); retry later or add replicas"));
      return;
    }
    wake = queue_.empty() || queued_rows_ + QueuedRows(p) >= options_.max_batch_size;
    queued_rows_ += QueuedRows(p);
    queue_.push_back(std::move(p));
  }
  // The worker waits either for a first request or for a batch to fill (or
  // its delay to pass); only those two need it awake.
  if (wake) cv_.notify_one();
}

std::future<DynamicBatcher::Result> DynamicBatcher::Submit(std::vector<Tensor> inputs) {
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  Submit(std::move(inputs), [promise](Result r) { promise->set_value(std::move(r)); });
  return future;
}

void DynamicBatcher::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  std::call_once(join_once_, [this] {
    if (worker_.joinable()) worker_.join();
  });
  std::deque<Pending> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(queue_);
    queued_rows_ = 0;
  }
  for (Pending& p : left) {
    p.done(Unavailable("the model's batcher shut down before this request was scored"));
  }
}

size_t DynamicBatcher::QueueSize() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void DynamicBatcher::Run() {
  pthread_setname_np(pthread_self(), "skiff-batcher");  // docs/architecture.md
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<Pending> batch;
  while (NextBatch(lock, &batch)) {
    lock.unlock();
    Execute(batch);
    batch.clear();
    lock.lock();
  }
}

bool DynamicBatcher::NextBatch(std::unique_lock<std::mutex>& lock, std::vector<Pending>* batch) {
  cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (stopping_) return false;
  // Only this thread removes from the queue, so the front stays put while we
  // wait for company below.
  const std::string key = queue_.front().key;
  const int64_t max = options_.max_batch_size;
  if (!key.empty() && queue_.front().rows < max) {
    const auto deadline =
        queue_.front().enqueued + std::chrono::microseconds(options_.max_queue_delay_us);
    while (true) {
      // Rows that would go in, FIFO among compatible requests, stopping at
      // the first one that does not fit (so big requests are not starved).
      int64_t rows = 0;
      bool blocked = false;
      for (const Pending& p : queue_) {
        if (p.key != key) continue;
        if (rows + p.rows > max) {
          blocked = true;
          break;
        }
        rows += p.rows;
      }
      if (rows >= max || blocked) break;  // full: ship without waiting
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) break;
      if (stopping_) return false;
    }
  }
  int64_t rows = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    const bool first = batch->empty();
    if (!first && (key.empty() || it->key != key || rows + it->rows > max)) {
      if (!key.empty() && it->key == key) break;  // keep FIFO among compatible ones
      ++it;
      continue;
    }
    rows += it->rows;
    queued_rows_ -= QueuedRows(*it);
    batch->push_back(std::move(*it));
    it = queue_.erase(it);
    if (key.empty() || rows >= max) break;
  }
  return true;
}

void DynamicBatcher::Execute(std::vector<Pending>& batch) {
  auto score = [this](const std::vector<Tensor>& inputs) -> Result {
    try {
      return model_->Score(inputs);
    } catch (const std::exception& e) {
      return Internal(std::string("model threw while scoring: ") + e.what());
    } catch (...) {
      return Internal("model threw a non-standard exception while scoring");
    }
  };

  if (options_.on_batch) options_.on_batch(batch.size());
  if (batch.size() == 1) {
    batch.front().done(score(batch.front().inputs));
    return;
  }

  // Concatenate along dim 0: tensors are dense row-major, so that is
  // appending bytes.
  int64_t total = 0;
  for (const Pending& p : batch) total += p.rows;
  const size_t num_inputs = batch.front().inputs.size();
  std::vector<Tensor> merged(num_inputs);
  for (size_t i = 0; i < num_inputs; ++i) {
    const Tensor& first = batch.front().inputs[i];
    merged[i].name = first.name;
    merged[i].dtype = first.dtype;
    merged[i].shape = first.shape;
    merged[i].shape[0] = total;
    size_t bytes = 0;
    for (const Pending& p : batch) bytes += p.inputs[i].data.size();
    merged[i].data.reserve(bytes);
    for (const Pending& p : batch) {
      merged[i].data.insert(merged[i].data.end(), p.inputs[i].data.begin(), p.inputs[i].data.end());
    }
  }

  Result result = score(merged);
  merged.clear();
  // A BYTES output's elements vary in size, so its rows are cut at element
  // boundaries: starts[o][e] is where element e begins (one past the end last).
  std::vector<std::vector<size_t>> starts;
  if (result.ok()) {
    starts.resize(result->size());
    for (size_t o = 0; o < result->size(); ++o) {
      const Tensor& out = (*result)[o];
      if (out.dtype != DataType::kBytes) continue;
      auto elements = SplitBytesElements(out.data.data(), out.data.size());
      if (!elements || elements->size() % static_cast<size_t>(total) != 0) {
        result = Internal("output '" + out.name + "' holds BYTES that do not split into " +
                          std::to_string(total) + " rows; disable dynamic batching for this model");
        break;
      }
      for (std::string_view e : *elements) {
        starts[o].push_back(
            static_cast<size_t>(reinterpret_cast<const uint8_t*>(e.data()) - 4 - out.data.data()));
      }
      starts[o].push_back(out.data.size());
    }
  }
  if (result.ok()) {
    for (const Tensor& out : *result) {
      if (out.shape.empty() || out.shape[0] != total ||
          (out.dtype != DataType::kBytes && out.data.size() % static_cast<size_t>(total) != 0)) {
        result = Internal("output '" + out.name + "' has shape " + ShapeToString(out.shape) +
                          " for a batch of " + std::to_string(total) +
                          " rows, so it cannot be split back per request; disable dynamic "
                          "batching for this model");
        break;
      }
    }
  }
  if (!result.ok()) {
    for (Pending& p : batch) p.done(result.status());
    return;
  }

  std::vector<Tensor>& outputs = *result;
  int64_t row = 0;
  for (Pending& p : batch) {
    std::vector<Tensor> mine(outputs.size());
    for (size_t o = 0; o < outputs.size(); ++o) {
      const Tensor& out = outputs[o];
      const size_t row_bytes = out.data.size() / static_cast<size_t>(total);
      mine[o].name = out.name;
      mine[o].dtype = out.dtype;
      mine[o].shape = out.shape;
      mine[o].shape[0] = p.rows;
      if (out.dtype == DataType::kBytes) {
        const size_t per_row = (starts[o].size() - 1) / static_cast<size_t>(total);
        const size_t first = static_cast<size_t>(row) * per_row;
        const size_t last = static_cast<size_t>(row + p.rows) * per_row;
        mine[o].data.assign(out.data.begin() + static_cast<std::ptrdiff_t>(starts[o][first]),
                            out.data.begin() + static_cast<std::ptrdiff_t>(starts[o][last]));
        continue;
      }
      const auto begin = out.data.begin() + static_cast<std::ptrdiff_t>(row * row_bytes);
      mine[o].data.assign(begin, begin + static_cast<std::ptrdiff_t>(p.rows * row_bytes));
    }
    row += p.rows;
    p.done(std::move(mine));
  }
}

}  // namespace skiff
