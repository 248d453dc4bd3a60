// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/version_builder.h"

#include "batched_model.h"
#include "skiff/dataplane/upstream_model.h"
#include "skiff/plugin_host/loaded_plugin.h"
#include "skiff/util/artifact_digest.h"

namespace skiff::dataplane {
namespace {

using ModelFactory = ScoringPool::ModelFactory;

constexpr size_t kMaxQueuedRequests = 4096;

ModelLoadOptions LoadOptionsFor(const ServerVersionConfig& v) {
  ModelLoadOptions load;
  load.artifact_path = v.artifact_path;
  load.signature = config::ToSignature(v.inference);
  load.device = v.inference.device;
  load.intra_op_threads = v.inference.threads.intra_op;
  load.inter_op_threads = v.inference.threads.inter_op;
  load.inference_config_json = config::ToJson(v.inference).dump();
  return load;
}

// Loads one model through the plugin, after checking the artifact against
// the digest the control plane recorded (a supervisor restart, a reload, a
// replaced replica alike). Without a `sha256` (a hand-written config) there
// is nothing to check.
std::function<StatusOr<std::unique_ptr<LoadedModel>>()> VerifiedLoad(
    std::shared_ptr<Accelerator> accel, ModelLoadOptions load, std::string expected_sha256) {
  return
      [accel, load = std::move(load),
       expected_sha256 = std::move(expected_sha256)]() -> StatusOr<std::unique_ptr<LoadedModel>> {
        if (!expected_sha256.empty()) {
          SKIFF_RETURN_IF_ERROR(VerifyArtifactDigest(load.artifact_path, expected_sha256));
        }
        return accel->Load(load);
      };
}

}  // namespace

VersionBuilder::VersionBuilder(const PluginHost* plugins, AcceleratorCache* accelerators,
                               const config::DeploymentConfig& deployment)
    : plugins_(plugins), accelerators_(accelerators), deployment_(deployment) {}

int VersionBuilder::replicas() const { return ReplicasOf(deployment_); }

ScoringPoolOptions VersionBuilder::PoolOptions(int workers) const {
  return PoolOptionsOf(deployment_, workers);
}

int VersionBuilder::replicas(const ServerVersionConfig& version) const {
  return ReplicasOf(version.Effective(deployment_));
}

int VersionBuilder::ReplicasOf(const config::DeploymentConfig& dc) {
  return dc.num_replicas.value_or(dc.auto_scaler.min_replicas);
}

ScoringPoolOptions VersionBuilder::PoolOptionsOf(const config::DeploymentConfig& dc, int workers) {
  ScoringPoolOptions pool;
  // Requests that may wait for a worker. Each connection has at most one in
  // flight, so this is at least the connections a server must take at once
  // without a 503 (1,024 keep-alive clients, issue 20.6; it was 256). Memory
  // stays bounded by the body budget (maxBodyBytesInFlight, held until the
  // answer) and each wait by maxQueueWaitMs.
  pool.max_queue = kMaxQueuedRequests;
  pool.max_queue_wait = std::chrono::milliseconds(dc.max_queue_wait_ms);
  pool.scoring_timeout = std::chrono::milliseconds(dc.scoring_timeout_ms);
  pool.workers = workers;
  return pool;
}

ScoringPoolOptions VersionBuilder::PoolFor(const ServerVersionConfig& version) const {
  // A version with its own deployment config (an endpoint version's --dc)
  // gets its own workers and timeouts; the others share the server's.
  const config::DeploymentConfig& dc = version.Effective(deployment_);
  const bool batched = version.inference.batching.enabled;
  return PoolOptionsOf(dc,
                       ReplicasOf(dc) * (batched ? 1 : dc.max_concurrent_requests_per_container));
}

StatusOr<std::unique_ptr<ScoringPool>> VersionBuilder::Build(const ServerVersionConfig& version,
                                                             metrics::ServiceMetrics* metrics) {
  if (!version.upstream.empty()) return Upstream(version);
  SKIFF_ASSIGN_OR_RETURN(std::shared_ptr<Accelerator> accel,
                         AcceleratorFor(version.inference.accelerator));
  if (version.inference.batching.enabled) return Batched(version, std::move(accel), metrics);
  return Plain(version, std::move(accel));
}

StatusOr<std::unique_ptr<ScoringPool>> VersionBuilder::Upstream(const ServerVersionConfig& v) {
  // Workers bound the requests in flight to the upstream.
  UpstreamOptions upstream{v.upstream, config::ToSignature(v.inference),
                           std::chrono::milliseconds(v.Effective(deployment_).scoring_timeout_ms)};
  return ScoringPool::Create(PoolFor(v), [upstream]() -> StatusOr<std::shared_ptr<LoadedModel>> {
    SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, MakeUpstreamModel(upstream));
    return std::shared_ptr<LoadedModel>(std::move(model));
  });
}

StatusOr<std::unique_ptr<ScoringPool>> VersionBuilder::Plain(const ServerVersionConfig& v,
                                                             std::shared_ptr<Accelerator> accel) {
  auto load = VerifiedLoad(accel, LoadOptionsFor(v), v.sha256);
  ScoringPoolOptions options = PoolFor(v);
  options.inline_scoring = inline_scoring_;
  return ScoringPool::Create(options, [accel, load]() -> StatusOr<std::shared_ptr<LoadedModel>> {
    SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, load());
    return TieLifetime(std::move(model), accel);
  });
}

StatusOr<std::unique_ptr<ScoringPool>> VersionBuilder::Batched(const ServerVersionConfig& v,
                                                               std::shared_ptr<Accelerator> accel,
                                                               metrics::ServiceMetrics* metrics) {
  // Each replica holds one model behind a batcher, which the pool feeds
  // straight from the I/O thread (BatchedModel is an AsyncModel: no worker
  // threads, no hand-off per request).
  DynamicBatcherOptions batching;
  batching.max_batch_size = v.inference.batching.max_batch_size;
  batching.max_queue_delay_us = v.inference.batching.max_queue_delay_microseconds;
  batching.on_batch = [metrics](size_t requests) { metrics->Executed(requests); };
  auto load = VerifiedLoad(accel, LoadOptionsFor(v), v.sha256);
  return ScoringPool::Create(PoolFor(v), [=]() -> StatusOr<std::shared_ptr<LoadedModel>> {
    SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, load());
    SKIFF_ASSIGN_OR_RETURN(auto replica,
                           BatchedReplica::Create(TieLifetime(std::move(model), accel), batching));
    return std::shared_ptr<LoadedModel>(new BatchedModel(std::move(replica)));
  });
}

StatusOr<std::shared_ptr<Accelerator>> VersionBuilder::AcceleratorFor(const std::string& name) {
  auto it = accelerators_->find(name);
  if (it != accelerators_->end()) return it->second;
  SKIFF_ASSIGN_OR_RETURN(std::shared_ptr<Accelerator> accel,
                         plugins_->Create<Accelerator>(name, "{}"));
  (*accelerators_)[name] = accel;
  return accel;
}

}  // namespace skiff::dataplane
