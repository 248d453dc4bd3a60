// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/endpoint.h"

#include <pthread.h>

#include <algorithm>

#include "skiff/rollout/sticky_assignment.h"

namespace skiff::dataplane {
namespace {

bool SameRoutes(const RoutingTable& a, const RoutingTable& b) {
  if (a.default_version != b.default_version || a.entries.size() != b.entries.size()) return false;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    if (a.entries[i].version != b.entries[i].version || a.entries[i].upper != b.entries[i].upper) {
      return false;
    }
  }
  return true;
}

// The version every draw from `table` picks, when one version holds all the
// traffic (the only one, or the others at 0 %): u in [0, 100) is below its
// cumulative 100 and at or above the 0 before it. Null when a draw decides.
const std::string* CertainPick(const RoutingTable& table) {
  for (const RoutingTable::Entry& e : table.entries) {
    if (e.upper > 0) return e.upper >= 100 ? &e.version : nullptr;
  }
  return nullptr;
}

}  // namespace

Endpoint::Endpoint(std::string name, uint64_t seed)
    : name_(std::move(name)),
      rng_(seed != 0 ? seed : std::random_device{}()),
      reaper_([this] { ReaperLoop(); }) {}

Endpoint::~Endpoint() {
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    snapshot_.reset();
  }
  std::unique_lock<std::mutex> lock(reap_mu_);
  stopping_ = true;
  reap_cv_.notify_all();
  lock.unlock();
  reaper_.join();
}

std::shared_ptr<ModelVersion> Endpoint::Adopt(ModelVersion* version) {
  std::shared_ptr<ModelVersion> adopted(version, [this](ModelVersion* v) {
    std::lock_guard<std::mutex> lock(reap_mu_);
    to_reap_.push_back(v);
    reap_cv_.notify_all();
  });
  std::lock_guard<std::mutex> lock(reap_mu_);
  ++live_versions_;
  adopted_.erase(std::remove_if(adopted_.begin(), adopted_.end(),
                                [](const std::weak_ptr<ModelVersion>& w) { return w.expired(); }),
                 adopted_.end());
  adopted_.push_back(adopted);
  return adopted;
}

void Endpoint::Cancel(const Status& why) {
  std::vector<std::shared_ptr<ModelVersion>> alive;
  {
    std::lock_guard<std::mutex> lock(reap_mu_);
    for (const auto& w : adopted_) {
      if (auto v = w.lock()) alive.push_back(std::move(v));
    }
  }
  // Without reap_mu_: answering a job releases its version handle, whose
  // deleter takes reap_mu_.
  for (const auto& v : alive) v->pool().Cancel(why);
}

void Endpoint::ReaperLoop() {
  pthread_setname_np(pthread_self(), "skiff-reaper");  // docs/architecture.md
  std::unique_lock<std::mutex> lock(reap_mu_);
  for (;;) {
    reap_cv_.wait(lock, [&] { return !to_reap_.empty() || (stopping_ && live_versions_ == 0); });
    if (to_reap_.empty()) return;  // stopping and nothing alive
    std::vector<ModelVersion*> batch;
    batch.swap(to_reap_);
    lock.unlock();
    for (ModelVersion* v : batch) delete v;  // joins that version's workers
    lock.lock();
    live_versions_ -= static_cast<int>(batch.size());
  }
}

Status Endpoint::Apply(const std::vector<VersionPlan>& plans, const VersionLoader& loader) {
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Staged> staged, Stage(plans, loader));
  Commit(std::move(staged));
  return OkStatus();
}

Endpoint::Staged::~Staged() = default;

std::shared_ptr<ModelVersion> Endpoint::Staged::Find(const std::string& name) const {
  for (const auto& v : next->versions) {
    if (v->name() == name) return v;
  }
  return nullptr;
}

StatusOr<std::unique_ptr<Endpoint::Staged>> Endpoint::Stage(const std::vector<VersionPlan>& plans,
                                                            const VersionLoader& loader) {
  std::vector<VersionSpec> specs;
  for (const auto& plan : plans) specs.push_back(plan.spec);
  SKIFF_RETURN_IF_ERROR(policy_.Validate(specs).WithContext("endpoint '" + name_ + "'"));
  auto staged = std::make_unique<Staged>();
  staged->apply_lock = std::unique_lock<std::mutex>(apply_mu_);
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    old = snapshot_;
  }
  std::map<std::string, std::shared_ptr<ModelVersion>> existing;
  if (old) {
    for (const auto& v : old->versions) existing[v->name()] = v;
  }
  auto next = std::make_shared<Snapshot>();
  std::vector<VersionStatus> statuses;
  for (const VersionPlan& plan : plans) {
    const VersionSpec& spec = plan.spec;
    std::shared_ptr<ModelVersion> version;
    auto it = existing.find(spec.name);
    if (it != existing.end() && it->second->content_key() == plan.content_key) {
      version = it->second;  // same workers; only the rollout spec changes
    } else {
      auto pool = loader(plan);
      if (!pool.ok()) {
        return pool.status().WithContext("endpoint '" + name_ + "' version '" + spec.name + "'");
      }
      version = Adopt(new ModelVersion(spec.name, plan.content_key, std::move(pool).value()));
    }
    next->specs.push_back(spec);
    next->versions.push_back(version);
    statuses.push_back({spec, VersionState::kReady, true, 0});
  }
  // Validates the new specs as a whole (every version ready), then routes
  // around the unreachable ones; a mark for a version no longer listed goes.
  SKIFF_ASSIGN_OR_RETURN(next->all_reachable, policy_.Route(statuses));
  for (const std::string& name : unreachable_) {
    const bool listed = std::any_of(specs.begin(), specs.end(),
                                    [&](const VersionSpec& s) { return s.name == name; });
    if (listed) staged->unreachable.insert(name);
  }
  SKIFF_ASSIGN_OR_RETURN(next->table, RouteReachable(next->specs, staged->unreachable));
  staged->next = std::move(next);
  return staged;
}

void Endpoint::Commit(std::unique_ptr<Staged> staged) {
  unreachable_ = std::move(staged->unreachable);
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = std::move(staged->next);
  // staged->apply_lock is released as `staged` goes, after the swap.
}

StatusOr<RoutingTable> Endpoint::RouteReachable(const std::vector<VersionSpec>& specs,
                                                const std::set<std::string>& unreachable) const {
  std::vector<VersionStatus> statuses;
  for (const VersionSpec& spec : specs) {
    VersionStatus status{spec, VersionState::kReady};
    status.reachable = unreachable.count(spec.name) == 0;
    statuses.push_back(std::move(status));
  }
  auto table = policy_.Route(statuses);
  if (table.ok()) return table;
  // No version reachable: route as if all were, so requests still try.
  for (auto& s : statuses) s.reachable = true;
  return policy_.Route(statuses);
}

bool Endpoint::SetReachable(const std::string& version, bool reachable) {
  std::lock_guard<std::mutex> apply_lock(apply_mu_);
  const bool was = unreachable_.count(version) == 0;
  if (was == reachable) return false;
  if (reachable) {
    unreachable_.erase(version);
  } else {
    unreachable_.insert(version);
  }
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    old = snapshot_;
  }
  if (!old) return false;
  auto table = RouteReachable(old->specs, unreachable_);
  if (!table.ok()) return false;  // cannot happen: the specs were routed before
  auto next = std::make_shared<Snapshot>(*old);
  const bool changed = !SameRoutes(next->table, *table);
  next->table = std::move(table).value();
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = std::move(next);
  return changed;
}

bool Endpoint::reachable(const std::string& version) const {
  std::lock_guard<std::mutex> apply_lock(apply_mu_);
  return unreachable_.count(version) == 0;
}

std::vector<std::string> Endpoint::unreachable_versions() const {
  std::vector<std::string> names;
  std::lock_guard<std::mutex> apply_lock(apply_mu_);
  for (const std::string& name : version_names()) {
    if (unreachable_.count(name) != 0) names.push_back(name);
  }
  return names;
}

StatusOr<std::shared_ptr<ModelVersion>> Endpoint::Pick(const std::string& pinned,
                                                       std::optional<uint64_t> sticky_point) const {
  std::shared_ptr<const Snapshot> snap;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    snap = snapshot_;
  }
  if (!snap) return Unavailable("endpoint '" + name_ + "' has no version loaded yet");
  if (!pinned.empty()) {
    std::string names;
    for (const auto& v : snap->versions) {
      if (v->name() == pinned) return v;
      names += (names.empty() ? "" : ", ") + v->name();
    }
    return NotFound("version '" + pinned + "' (header azureml-model-deployment) does not exist on '" +
                    name_ + "'; versions: " + names);
  }
  const std::string* chosen = nullptr;
  if (sticky_point) {
    chosen = &AssignSticky(snap->all_reachable, *sticky_point);
    // Not in the routing table: unreachable. Its share goes where the policy
    // sends it: to the default, or over the others when that is the one away.
    const bool routed =
        std::any_of(snap->table.entries.begin(), snap->table.entries.end(),
                    [&](const RoutingTable::Entry& e) { return e.version == *chosen; });
    if (!routed) {
      const bool default_routed = std::any_of(
          snap->table.entries.begin(), snap->table.entries.end(),
          [&](const RoutingTable::Entry& e) { return e.version == snap->table.default_version; });
      chosen =
          default_routed ? &snap->table.default_version : &AssignSticky(snap->table, *sticky_point);
    }
  } else if (const std::string* certain = CertainPick(snap->table)) {
    // No draw, so no rng_mu_: one lock and no generator step on the usual
    // one-version path. A seeded endpoint still repeats its picks for the
    // same sequence of tables and requests.
    chosen = certain;
  } else {
    double u;
    {
      std::lock_guard<std::mutex> lock(rng_mu_);
      u = std::uniform_real_distribution<double>(0, 100)(rng_);
    }
    chosen = &snap->table.Pick(u);
  }
  for (const auto& v : snap->versions) {
    if (v->name() == *chosen) return v;
  }
  return Internal("routing table names unknown version '" + *chosen + "'");
}

bool Endpoint::ready() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_ != nullptr;
}

std::vector<std::string> Endpoint::version_names() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  std::vector<std::string> names;
  if (snapshot_) {
    for (const auto& v : snapshot_->versions) names.push_back(v->name());
  }
  return names;
}

std::optional<VersionSpec> Endpoint::SpecOf(const std::string& version) const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  if (snapshot_) {
    for (const auto& spec : snapshot_->specs) {
      if (spec.name == version) return spec;
    }
  }
  return std::nullopt;
}

std::shared_ptr<ModelVersion> Endpoint::Find(const std::string& version) const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  if (snapshot_) {
    for (const auto& v : snapshot_->versions) {
      if (v->name() == version) return v;
    }
  }
  return nullptr;
}

int Endpoint::draining() const {
  size_t routed = 0;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    if (snapshot_) routed = snapshot_->versions.size();
  }
  std::lock_guard<std::mutex> lock(reap_mu_);
  // Versions alive (not yet reaped) that are not in the routing snapshot.
  return std::max(0, live_versions_ - static_cast<int>(routed) - static_cast<int>(to_reap_.size()));
}

}  // namespace skiff::dataplane
