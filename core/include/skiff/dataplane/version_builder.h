// SPDX-License-Identifier: Apache-2.0
// VersionBuilder: one configured version -> the ScoringPool that scores it.
// Three shapes, chosen by the version's config:
//   - upstream (`versions[].upstream`): workers that ask another skiff-server
//     (UpstreamModel); batching is the upstream's business;
//   - plain: maxConcurrentRequestsPerContainer workers per replica, each with
//     its own model from the accelerator plugin;
//   - batched (`batching.enabled`): one model per replica behind a
//     DynamicBatcher, fed straight from the I/O thread (no worker threads).
// Every model load re-hashes the artifact against the version's `sha256`
// first (when the config has one), so a file changed on disk since
// registration is never handed to a plugin.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "skiff/accelerator.h"
#include "skiff/dataplane/scoring_pool.h"
#include "skiff/config/server_config.h"
#include "skiff/plugin_host/plugin_host.h"
#include "skiff/metrics/data_plane_metrics.h"
#include "skiff/status.h"

namespace skiff::dataplane {

using config::ServerVersionConfig;  // owned by skiff_config

class VersionBuilder {
 public:
  // Accelerator plugins, created once by name and reused across applies.
  using AcceleratorCache = std::map<std::string, std::shared_ptr<Accelerator>>;

  // `plugins` and `accelerators` must outlive the builder; `deployment` is
  // the applied config's (replicas, per-container concurrency, timeouts).
  VersionBuilder(const PluginHost* plugins, AcceleratorCache* accelerators,
                 const config::DeploymentConfig& deployment);

  // Loads and warms the version's pool. `metrics` (the version's) receives
  // the batch sizes of a batched version; it must outlive the pool.
  // Threading: not thread-safe (the cache); DataPlane calls it under its
  // apply lock.
  StatusOr<std::unique_ptr<ScoringPool>> Build(const ServerVersionConfig& version,
                                               metrics::ServiceMetrics* metrics);

  // Local models (not upstream ones, whose Score waits on the network, nor
  // batched ones, which have no hand-off) get ScoringPoolOptions::
  // inline_scoring. Default off.
  void set_inline_scoring(bool on) { inline_scoring_ = on; }

  // Pool settings common to every shape, with `workers` workers.
  ScoringPoolOptions PoolOptions(int workers) const;
  // Replicas of the deployment (numReplicas, else the autoscaler's minimum).
  int replicas() const;
  // The same for `version`: its own deployment config when it has one.
  int replicas(const ServerVersionConfig& version) const;
  // `version`'s pool settings: replicas x maxConcurrentRequestsPerContainer
  // workers (replicas for a batched version), its queue wait and timeout.
  ScoringPoolOptions PoolFor(const ServerVersionConfig& version) const;

 private:
  StatusOr<std::unique_ptr<ScoringPool>> Upstream(const ServerVersionConfig& version);
  StatusOr<std::unique_ptr<ScoringPool>> Plain(const ServerVersionConfig& version,
                                               std::shared_ptr<Accelerator> accel);
  StatusOr<std::unique_ptr<ScoringPool>> Batched(const ServerVersionConfig& version,
                                                 std::shared_ptr<Accelerator> accel,
                                                 metrics::ServiceMetrics* metrics);
  StatusOr<std::shared_ptr<Accelerator>> AcceleratorFor(const std::string& name);
  static int ReplicasOf(const config::DeploymentConfig& dc);
  static ScoringPoolOptions PoolOptionsOf(const config::DeploymentConfig& dc, int workers);

  const PluginHost* plugins_;
  AcceleratorCache* accelerators_;
  const config::DeploymentConfig& deployment_;
  bool inline_scoring_ = false;
};

}  // namespace skiff::dataplane
