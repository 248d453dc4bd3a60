// SPDX-License-Identifier: Apache-2.0
#include "batched_model.h"

namespace skiff::dataplane {

StatusOr<std::shared_ptr<BatchedReplica>> BatchedReplica::Create(
    std::shared_ptr<LoadedModel> model, const DynamicBatcherOptions& options) {
  auto replica = std::shared_ptr<BatchedReplica>(new BatchedReplica());
  replica->model_ = std::move(model);
  SKIFF_RETURN_IF_ERROR(replica->model_->Warmup().WithContext("warm-up"));
  SKIFF_RETURN_IF_ERROR(DynamicBatcher::Create(options, replica->model_.get(), &replica->batcher_));
  return replica;
}

BatchedReplica::~BatchedReplica() {
  if (batcher_) batcher_->Shutdown();  // before the model it calls goes
}

StatusOr<std::vector<Tensor>> BatchedModel::Score(const std::vector<Tensor>& inputs) {
  return replica_->batcher().Submit(inputs).get();
}

void BatchedModel::ScoreAsync(std::vector<Tensor> inputs, Callback done) {
  replica_->batcher().Submit(std::move(inputs), std::move(done));
}

}  // namespace skiff::dataplane
