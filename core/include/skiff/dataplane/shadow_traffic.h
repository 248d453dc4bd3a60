// SPDX-License-Identifier: Apache-2.0
// Shadow traffic (docs/rollout.md#shadow-traffic): a version with a shadow
// percentile gets a copy of that share of live requests, after the live
// version is picked and the body decoded. Its answer is never returned: the
// live answer goes back as it would without it, and once both answers are
// in, the pair is compared (CompareOutputs) and recorded as the
// skiff_shadow_* series (skiff/metrics/shadow_metrics.h).
//
// What bounds it: at most deploymentConfig.shadowQueueSize copies are out
// (sent to a shadow version and not yet answered) per server; past that a
// drawn copy is dropped and counted, never waited for. Copies go to the
// shadow version's own ScoringPool (its workers, or on a router its
// upstream), so they never take a worker, a queue slot, a connection or body
// budget of the live version; a shadow version gets no drawn traffic of its
// own (its traffic percentile is 0), so its pool serves only copies and
// pinned requests.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "skiff/config/server_config.h"
#include "skiff/dataplane/endpoint.h"
#include "skiff/dataplane/scoring_pool.h"
#include "skiff/metrics/metrics_registry.h"
#include "skiff/metrics/shadow_metrics.h"

namespace skiff::dataplane {

// How one output of the shadow answer compares with the live one's.
struct OutputAgreement {
  std::string output;  // the live output's name
  // Both answers hold the output with the same datatype and shape, and it is
  // numeric (not BYTES). Nothing below is set otherwise.
  bool comparable = false;
  // max |live - shadow| over the elements; 0 for identical answers. A NaN on
  // one side only counts as +infinity, NaN on both sides as equal.
  double max_abs_diff = 0;
  // Set when the output has a class axis: rank >= 2 and a last dimension of
  // at least 2 (e.g. [batch, classes]). True when, in every row (every index
  // of the leading dimensions), the index of the largest value along the last
  // axis is the same in both answers (the first one on ties).
  std::optional<bool> argmax_agrees;
};

// Compares every output of `live` with the output of the same name in
// `shadow`. Pure; any thread.
std::vector<OutputAgreement> CompareOutputs(const std::vector<Tensor>& live,
                                            const std::vector<Tensor>& shadow);

class ShadowTraffic {
 public:
  class Pair;  // one live request and its copy to one shadow version
  using Pairs = std::vector<std::shared_ptr<Pair>>;

  // `registry` must outlive this object. `seed` 0 draws from
  // std::random_device, any other value reproducibly; the first applied
  // config's routingSeed, when set, takes its place.
  explicit ShadowTraffic(metrics::MetricsRegistry* registry, uint64_t seed = 0);
  // Pairs still out record nothing once this is gone.
  ~ShadowTraffic();

  // The shadow versions (versions[].shadowPercentile > 0) and the queue size
  // (deploymentConfig.shadowQueueSize) of an applied config. Threading:
  // serialised with itself (DataPlane::Apply); concurrent with the rest.
  void Apply(const config::ServerConfig& config);

  // Draws, for each shadow version, whether this request is copied to it
  // (none when `live_version` is itself a shadow: a request pinned to it); for each hit takes a queue slot (or counts a
  // drop) and copies `inputs`. Nothing is sent yet: Send does that, after the
  // live request was submitted. Empty (no allocation) when no version is a
  // shadow. Threading: hot path, concurrent; never blocks on a model.
  Pairs Draw(const Endpoint& endpoint, const std::string& live_version,
             const std::vector<Tensor>& inputs);
  // Submits each pair's copy to its shadow version's pool. Never blocks.
  static void Send(const Pairs& pairs);
  // The live answer of the request the pairs were drawn for, once it was
  // sent to the client.
  static void LiveDone(const Pairs& pairs, ScoreResult result);

  // Copies sent and not yet answered.
  int64_t outstanding() const;

 private:
  struct Shared;
  struct Plan;
  bool DrawHit(int percentile);

  std::shared_ptr<Shared> shared_;
  std::atomic<bool> any_{false};  // some version is a shadow: Draw's fast path
  std::mutex rng_mu_;
  uint64_t rng_state_;  // splitmix64; guarded by rng_mu_
  bool seeded_ = false;  // by a routingSeed; guarded by rng_mu_
};

}  // namespace skiff::dataplane
