// SPDX-License-Identifier: Apache-2.0
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
#include <optional>
#include <random>
#include <set>
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
  ModelVersion(std::string name, std::string content_key, std::unique_ptr<ScoringPool> pool)
      : name_(std::move(name)), content_key_(std::move(content_key)), pool_(std::move(pool)) {}
  const std::string& name() const { return name_; }
  const std::string& content_key() const { return content_key_; }
  ScoringPool& pool() { return *pool_; }

 private:
  const std::string name_;
  const std::string content_key_;
  const std::unique_ptr<ScoringPool> pool_;
};

// One version the endpoint should have: its rollout spec and a key naming
// its content (model hash + inference config). A version whose key changes is
// reloaded; one whose key stays is reused whatever its rollout spec.
struct VersionPlan {
  VersionSpec spec;
  std::string content_key;
};

// Builds the scoring pool of one version (loads and warms its models).
using VersionLoader =
    std::function<StatusOr<std::unique_ptr<ScoringPool>>(const VersionPlan& plan)>;

class Endpoint {
 public:
  // `seed` 0 draws routing decisions from std::random_device; any other value
  // makes the sequence of draws reproducible (tests, replayable experiments).
  explicit Endpoint(std::string name, uint64_t seed = 0);
  ~Endpoint();  // waits for in-flight requests to release their versions

  const std::string& name() const { return name_; }

  // Makes `plans` the endpoint's versions: validates them with the rollout
  // policy, loads versions not loaded yet or whose content changed (with
  // `loader`, on the caller's thread), then swaps the routing table in one
  // step. Versions no longer listed (or replaced) drain and unload. Changing
  // only percentages, the default or a type reuses loaded versions.
  // On error nothing changes. Threading: serialised with itself.
  // Stage() then Commit().
  Status Apply(const std::vector<VersionPlan>& plans, const VersionLoader& loader);

  // Apply() in two steps, for a caller with more to check between loading
  // and routing (DataPlane::Apply opens its logs and configures its
  // authenticator there): Stage() validates and loads and may fail; Commit()
  // swaps the routing table and cannot. A Staged holds the endpoint's apply
  // lock until it is committed or dropped (SetReachable() and other applies
  // wait); dropped uncommitted it changes nothing, and the versions it
  // loaded unload. Threading: as Apply().
  class Staged;
  StatusOr<std::unique_ptr<Staged>> Stage(const std::vector<VersionPlan>& plans,
                                          const VersionLoader& loader);
  void Commit(std::unique_ptr<Staged> staged);

  // The version for a request: the pinned one when `pinned` is non-empty
  // (kNotFound naming the versions if it does not exist), else, when
  // `sticky_point` is given (the request's routing key, RoutingPoint), the
  // version consistent for that key (AssignSticky over the shares as if
  // every version were reachable; a key whose version is unreachable goes
  // where the policy sends that version's share, and comes back with it),
  // else a draw from the routing table. kUnavailable before any version is
  // ready. Threading: hot path, concurrent.
  StatusOr<std::shared_ptr<ModelVersion>> Pick(
      const std::string& pinned, std::optional<uint64_t> sticky_point = std::nullopt) const;

  // True once a routing table exists (every listed version loaded).
  bool ready() const;

  // Names of the currently routed versions, in spec order.
  std::vector<std::string> version_names() const;

  // The rollout spec of a routed version (for metadata), or nullopt.
  std::optional<VersionSpec> SpecOf(const std::string& version) const;

  // A loaded version by name (for metadata routes), or nullptr.
  std::shared_ptr<ModelVersion> Find(const std::string& version) const;

  // Versions deleted from the endpoint but still finishing requests.
  int draining() const;

  // Shutdown's cancel step: ScoringPool::Cancel(why) on every loaded
  // version, routed or still draining, so each request they hold is answered
  // now and each one submitted later at once. The versions stay loaded until
  // the destructor. Threading: any thread.
  void Cancel(const Status& why);

  // Marks a version (by name) reachable or not; versions are reachable until
  // marked. An unreachable version stays Ready with VersionStatus::reachable
  // false, and the policy (TrafficSplitPolicy) gives it no drawn traffic: its
  // share goes to the default version, or the others' shares scale up when
  // the default is the unreachable one. When no version is reachable,
  // traffic is drawn as if all were, so requests still try. Pinned requests
  // are never moved. The mark outlives Apply() for a version that stays
  // listed; a version that leaves the endpoint loses it. Returns true when
  // the routing table changed. Threading: serialised with Apply().
  bool SetReachable(const std::string& version, bool reachable);
  // The mark, for the readiness and metadata answers. Threading: any.
  bool reachable(const std::string& version) const;
  // Names of the routed versions marked unreachable, in spec order.
  // Threading: any.
  std::vector<std::string> unreachable_versions() const;

 private:
  // Immutable once published; replaced whole by Apply().
  struct Snapshot {
    RoutingTable table;
    // The table as if every version were reachable: sticky keys are
    // assigned over it, so a version's keys stay its own while it is away.
    RoutingTable all_reachable;
    std::vector<VersionSpec> specs;                       // spec order
    std::vector<std::shared_ptr<ModelVersion>> versions;  // same order
  };
  std::shared_ptr<ModelVersion> Adopt(ModelVersion* version);  // deleter -> reaper
  // The table for `specs` with the `unreachable` ones taken out (caller
  // holds apply_mu_).
  StatusOr<RoutingTable> RouteReachable(const std::vector<VersionSpec>& specs,
                                        const std::set<std::string>& unreachable) const;
  void ReaperLoop();

  const std::string name_;
  TrafficSplitPolicy policy_;
  mutable std::mutex apply_mu_;             // serialises Apply() and SetReachable()
  std::set<std::string> unreachable_;       // guarded by apply_mu_

  mutable std::mutex snapshot_mu_;          // guards snapshot_ (pointer swap only)
  std::shared_ptr<const Snapshot> snapshot_;
  mutable std::mutex rng_mu_;
  mutable std::mt19937_64 rng_;             // guarded by rng_mu_

  mutable std::mutex reap_mu_;
  std::condition_variable reap_cv_;
  std::vector<ModelVersion*> to_reap_;      // guarded by reap_mu_
  // Every version Adopt() made that may still be alive (routed, draining or
  // held by a request), for Cancel(). Guarded by reap_mu_.
  std::vector<std::weak_ptr<ModelVersion>> adopted_;
  int live_versions_ = 0;                   // guarded by reap_mu_
  bool stopping_ = false;                   // guarded by reap_mu_
  std::thread reaper_;
};

class Endpoint::Staged {
 public:
  ~Staged();
  // The version named `name` that Commit() will route to, or null.
  std::shared_ptr<ModelVersion> Find(const std::string& name) const;

 private:
  friend class Endpoint;
  std::unique_lock<std::mutex> apply_lock;  // the endpoint's apply_mu_
  std::shared_ptr<const Snapshot> next;
  std::set<std::string> unreachable;  // unreachable_ once committed: the marks still listed
};

}  // namespace skiff::dataplane
