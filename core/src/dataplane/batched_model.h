// Internal: the face a worker sees when dynamic batching is on. Several
// workers share one replica's real model through one DynamicBatcher: each
// worker's Score() queues its request and waits for its own rows, so a batch
// forms from the requests the workers hold at the same time.
#pragma once

#include <memory>

#include "skiff/accelerator.h"
#include "skiff/batching/dynamic_batcher.h"

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

class BatchedModel final : public LoadedModel {
 public:
  explicit BatchedModel(std::shared_ptr<BatchedReplica> replica) : replica_(std::move(replica)) {}
  const Signature& signature() const override { return replica_->model().signature(); }
  // The replica was warmed when it was created.
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override;

 private:
  std::shared_ptr<BatchedReplica> replica_;
};

}  // namespace skiff::dataplane
