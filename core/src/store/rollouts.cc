// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore: an endpoint's progressive rollout and its controller lease.
#include "process_identity.h"
#include "skiff/store/workspace_store.h"
#include "sqlite.h"
#include "util.h"

namespace skiff::store {
namespace {

constexpr const char* kSelect =
    "SELECT endpoint, status, state_json, revision, owner, lease_expires_ms, updated_time "
    "FROM rollouts WHERE endpoint = ?";

RolloutRecord ReadRollout(const Stmt& s) {
  return RolloutRecord{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4), s.Int(5), s.Text(6)};
}

bool Active(const std::string& status) { return status == "Running" || status == "Paused"; }

std::string Holder(const std::string& owner) {
  const long pid = ProcessIdentityPid(owner);
  return pid > 0 ? "pid " + std::to_string(pid) : "'" + owner + "'";
}

}  // namespace

std::string WorkspaceStore::CurrentOwner() { return CurrentProcessIdentity(); }
bool WorkspaceStore::OwnerMayBeRunning(const std::string& owner) {
  return ProcessMayBeRunning(owner);
}

Status WorkspaceStore::StartRollout(const RolloutRecord& r) {
  SKIFF_RETURN_IF_ERROR(ValidateJson(r.state_json, "rollout state"));
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt exists,
                         Stmt::Prepare(*db_, "SELECT 1 FROM endpoints WHERE name = ?"));
  exists.Bind(1, r.endpoint);
  SKIFF_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (!found) {
    return NotFound("endpoint '" + r.endpoint + "' does not exist; run `skiff endpoint list`");
  }
  SKIFF_ASSIGN_OR_RETURN(Stmt current, Stmt::Prepare(*db_, kSelect));
  current.Bind(1, r.endpoint);
  SKIFF_ASSIGN_OR_RETURN(bool row, current.Step());
  if (row && Active(current.Text(1))) {
    const std::string owner = current.Text(4);
    return FailedPrecondition(
        "endpoint '" + r.endpoint + "' already has a rollout " + current.Text(1) +
        (owner.empty() ? "" : " (controller " + Holder(owner) + ")") +
        "; see `skiff endpoint rollout status -n " + r.endpoint +
        "`, or stop it with `skiff endpoint rollout abort -n " + r.endpoint + "` first");
  }
  SKIFF_ASSIGN_OR_RETURN(Stmt put, Stmt::Prepare(*db_,
                                                 "INSERT OR REPLACE INTO rollouts (endpoint, "
                                                 "status, state_json, revision, owner, "
                                                 "lease_expires_ms, updated_time) "
                                                 "VALUES (?, ?, ?, 1, ?, ?, ?)"));
  put.Bind(1, r.endpoint)
      .Bind(2, r.status)
      .Bind(3, r.state_json)
      .Bind(4, r.owner)
      .Bind(5, r.lease_expires_ms)
      .Bind(6, NowIso8601());
  SKIFF_RETURN_IF_ERROR(put.Run());
  return txn->Commit();
}

StatusOr<RolloutRecord> WorkspaceStore::GetRollout(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(*db_, kSelect));
  stmt.Bind(1, endpoint);
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return NotFound("endpoint '" + endpoint + "' has no rollout; start one with `skiff endpoint " +
                    "rollout start -n " + endpoint + " --version-name V --steps 5,25,50,100`");
  }
  return ReadRollout(stmt);
}

Status WorkspaceStore::UpdateRollout(const RolloutRecord& r) {
  SKIFF_RETURN_IF_ERROR(ValidateJson(r.state_json, "rollout state"));
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt update, Stmt::Prepare(*db_,
                                                    "UPDATE rollouts SET status = ?, "
                                                    "state_json = ?, revision = revision + 1, "
                                                    "updated_time = ? "
                                                    "WHERE endpoint = ? AND revision = ?"));
  update.Bind(1, r.status)
      .Bind(2, r.state_json)
      .Bind(3, NowIso8601())
      .Bind(4, r.endpoint)
      .Bind(5, r.revision);
  SKIFF_RETURN_IF_ERROR(update.Run());
  if (sqlite3_changes(db_->get()) == 0) {
    return Status(StatusCode::kAborted, "the rollout of endpoint '" + r.endpoint +
                                            "' changed since it was read; read it again");
  }
  return OkStatus();
}

Status WorkspaceStore::AcquireRolloutLease(const std::string& endpoint, const std::string& owner,
                                           int64_t now_ms, int64_t ttl_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(*db_, kSelect));
  stmt.Bind(1, endpoint);
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("endpoint '" + endpoint + "' has no rollout");
  const std::string holder = stmt.Text(4);
  const int64_t expires = stmt.Int(5);
  if (!holder.empty() && holder != owner && expires > now_ms && ProcessMayBeRunning(holder)) {
    return FailedPrecondition("the rollout of endpoint '" + endpoint +
                              "' is driven by another controller (" + Holder(holder) +
                              ", lease for " + std::to_string((expires - now_ms + 999) / 1000) +
                              " s more); two controllers never drive one endpoint. Stop that one "
                              "or wait for its lease to expire");
  }
  SKIFF_ASSIGN_OR_RETURN(Stmt take, Stmt::Prepare(*db_,
                                                  "UPDATE rollouts SET owner = ?, "
                                                  "lease_expires_ms = ? WHERE endpoint = ?"));
  take.Bind(1, owner).Bind(2, now_ms + ttl_ms).Bind(3, endpoint);
  SKIFF_RETURN_IF_ERROR(take.Run());
  return txn->Commit();
}

Status WorkspaceStore::ReleaseRolloutLease(const std::string& endpoint, const std::string& owner) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(*db_,
                                                  "UPDATE rollouts SET owner = '', "
                                                  "lease_expires_ms = 0 "
                                                  "WHERE endpoint = ? AND owner = ?"));
  stmt.Bind(1, endpoint).Bind(2, owner);
  return stmt.Run();
}

}  // namespace skiff::store
