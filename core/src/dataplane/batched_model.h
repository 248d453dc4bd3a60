// SPDX-License-Identifier: Apache-2.0
// Internal: the face a scoring pool sees when dynamic batching is on. It is
// an AsyncModel: the pool hands each request straight to the replica's
// DynamicBatcher (ScoreAsync) from the I/O thread, with no worker thread in
// between; the batcher's thread scores each batch and calls every request
// back. Score() (queue, then wait for its own rows) is kept for callers that
// need a blocking model.
#pragma once

#include <memory>

#include "skiff/accelerator.h"
#include "skiff/batching/dynamic_batcher.h"
#include "skiff/dataplane/scoring_pool.h"

namespace skiff::dataplane {

class BatchedReplica {
 public:
  // Takes the replica's model; starts its batcher.
  static StatusOr<std::shared_ptr<BatchedReplica>> Create(std::shared_ptr<LoadedModel> model,
                                                          const DynamicBatcherOptions& options);
  ~BatchedReplica();
  LoadedModel& model() { return *model_; }
  DynamicBatcher& batcher() { return *batcher_; }

 private:
  std::shared_ptr<LoadedModel> model_;
  std::unique_ptr<DynamicBatcher> batcher_;
};

class BatchedModel final : public AsyncModel {
 public:
  explicit BatchedModel(std::shared_ptr<BatchedReplica> replica) : replica_(std::move(replica)) {}
  const Signature& signature() const override { return replica_->model().signature(); }
  std::string platform() const override { return replica_->model().platform(); }
  // The replica was warmed when it was created.
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override;
  void ScoreAsync(std::vector<Tensor> inputs, Callback done) override;

 private:
  std::shared_ptr<BatchedReplica> replica_;
};

}  // namespace skiff::dataplane
