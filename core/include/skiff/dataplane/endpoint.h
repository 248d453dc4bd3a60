// Endpoint: the versions of one service or endpoint on the data plane and the
// routing between them (controlled rollout).
//
// A request takes a counted handle (std::shared_ptr) on the version that
// serves it, so a version deleted from the endpoint stops receiving new
// requests at once but finishes its in-flight ones before it is unloaded
// (TensorFlow Serving's refcounted handles). The unload runs on the
// endpoint's reaper thread, never on a worker or I/O thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "skiff/dataplane/scoring_pool.h"
#include "skiff/rollout/traffic_split_policy.h"

namespace skiff::dataplane {

// One loaded version and its workers. Its rollout spec (traffic, default,
// type) lives in the endpoint's routing snapshot, so it can change without
// touching the loaded version.
class ModelVersion {
 public:
  ModelVersion(std::string name, std::unique_ptr<ScoringPool> pool)
      : name_(std::move(name)), pool_(std::move(pool)) {}
  const std::string& name() const { return name_; }
  ScoringPool& pool() { return *pool_; }

 private:
  const std::string name_;
  const std::unique_ptr<ScoringPool> pool_;
};

// Builds the scoring pool of one version (loads and warms its models).
using VersionLoader =
    std::function<StatusOr<std::unique_ptr<ScoringPool>>(const VersionSpec& spec)>;

class Endpoint {
 public:
  explicit Endpoint(std::string name);
  ~Endpoint();  // waits for in-flight requests to release their versions

  const std::string& name() const { return name_; }

  // Makes `versions` the endpoint's versions: validates them with the
  // rollout policy, loads versions not loaded yet (with `loader`, on the
  // caller's thread), then swaps the routing table in one step. Versions no
  // longer listed drain and unload. Changing only percentages, the default
  // or a type reuses loaded versions (no reload).
  // On error nothing changes. Threading: serialised with itself.
  Status Apply(const std::vector<VersionSpec>& versions, const VersionLoader& loader);

  // The version for a request: the pinned one when `pinned` is non-empty
  // (kNotFound naming the versions if it does not exist), else a draw from
  // the routing table. kUnavailable before any version is ready.
  // Threading: hot path, concurrent.
  StatusOr<std::shared_ptr<ModelVersion>> Pick(const std::string& pinned) const;

  // True once a routing table exists (every listed version loaded).
  bool ready() const;

  // Names of the currently routed versions, in spec order.
  std::vector<std::string> version_names() const;

  // A loaded version by name (for metadata routes), or nullptr.
  std::shared_ptr<ModelVersion> Find(const std::string& version) const;

  // Versions deleted from the endpoint but still finishing requests.
  int draining() const;

 private:
  // Immutable once published; replaced whole by Apply().
  struct Snapshot {
    RoutingTable table;
    std::vector<VersionSpec> specs;                       // spec order
    std::vector<std::shared_ptr<ModelVersion>> versions;  // same order
  };
  std::shared_ptr<ModelVersion> Adopt(ModelVersion* version);  // deleter -> reaper
  void ReaperLoop();

  const std::string name_;
  TrafficSplitPolicy policy_;
  std::mutex apply_mu_;  // serialises Apply()

  mutable std::mutex snapshot_mu_;          // guards snapshot_ (pointer swap only)
  std::shared_ptr<const Snapshot> snapshot_;
  mutable std::mutex rng_mu_;
  mutable std::mt19937_64 rng_;             // guarded by rng_mu_

  mutable std::mutex reap_mu_;
  std::condition_variable reap_cv_;
  std::vector<ModelVersion*> to_reap_;      // guarded by reap_mu_
  int live_versions_ = 0;                   // guarded by reap_mu_
  bool stopping_ = false;                   // guarded by reap_mu_
  std::thread reaper_;
};

}  // namespace skiff::dataplane
